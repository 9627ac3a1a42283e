"""Bad input to the core API: a typed error naming the field, and no change."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from core import HintingConfig, InvalidInput, Machine, MachineConfig, StepFailed
from core.errors import HintingBusy, NoFreeBlock, NotAllocated, NothingToStep, UnknownRef, WrongOrder


def small() -> Machine:
    m = Machine(MachineConfig(4, 2, (("DMA32", 8), ("Normal", 16))),
                HintingConfig(min_order=2, hwm=1, capacity=1, stepping=True), check_invariants=True)
    # Normal boots as [16, 8] (order 3): "a" takes 16 and leaves 18 (o1) and 20 (o2);
    # then 8 goes too, so Normal has no order-3 block left.
    m.alloc("Normal", 1, "Movable", name="a")
    m.alloc("Normal", 3, "Movable")
    return m


def snapshot(m: Machine) -> str:
    return json.dumps(m.state(), sort_keys=True)


CASES: list[tuple[Callable[[Machine], object], type[Exception], str | None]] = [
    (lambda m: m.alloc("HighMem", 0), InvalidInput, "zone"),
    (lambda m: m.alloc("Normal", 4), InvalidInput, "order"),
    (lambda m: m.alloc("Normal", -1), InvalidInput, "order"),
    (lambda m: m.alloc("Normal", True), InvalidInput, "order"),
    (lambda m: m.alloc("Normal", 0, "HighAtomic"), InvalidInput, "migratetype"),
    (lambda m: m.alloc("Normal", 0, "movable"), InvalidInput, "migratetype"),
    (lambda m: m.alloc("Normal", 3, "Movable"), NoFreeBlock, "order"),
    (lambda m: m.free(9), NotAllocated, "pfn"),
    (lambda m: m.free(0), NotAllocated, "pfn"),
    (lambda m: m.free(16, 2), WrongOrder, "order"),
    (lambda m: m.free(24), StepFailed, "pfn"),
    (lambda m: m.free(-1), StepFailed, "pfn"),
    (lambda m: m.free("8"), InvalidInput, "pfn"),
    (lambda m: m.free_ref("nobody"), UnknownRef, "ref"),
    (lambda m: m.move_pageblock(99, "Movable"), StepFailed, "pfn"),
    (lambda m: m.move_pageblock(0, "Sticky"), InvalidInput, "migratetype"),
    (lambda m: m.advance(0), InvalidInput, "ms"),
    (lambda m: m.step(), NothingToStep, "do"),
    (lambda m: m.apply({"do": "alloc", "zone": "Normal", "order": "2"}), InvalidInput, "step.order"),
    (lambda m: m.apply({"do": "free", "pfn": 8, "ref": "a"}), InvalidInput, "step.ref"),
    (lambda m: m.apply(["alloc"]), InvalidInput, "step"),
    # Values JSON can hold that cannot be looked up in a table: still a named field, never a crash.
    (lambda m: m.apply({"do": "alloc", "zone": ["Normal"], "order": 0}), InvalidInput, "step.zone"),
    (lambda m: m.apply({"do": "alloc", "zone": "Normal", "order": 0, "migratetype": []}), InvalidInput,
     "step.migratetype"),
    (lambda m: m.apply({"do": "move_pageblock", "pfn": 0, "migratetype": {}}), InvalidInput, "step.migratetype"),
]


@pytest.mark.parametrize(("call", "error", "field"), CASES)
def test_bad_input_raises_and_changes_nothing(call: Callable[[Machine], object], error: type[Exception],
                                              field: str | None) -> None:
    m = small()
    before = snapshot(m)
    with pytest.raises(error) as info:
        call(m)
    assert getattr(info.value, "field", None) == field
    assert str(info.value)
    assert snapshot(m) == before


def test_the_error_explains_what_the_pfn_is() -> None:
    m = small()
    assert m.alloc("Normal", 2, "Movable") == 20
    with pytest.raises(NotAllocated, match="inside an allocated block that starts at pfn 20"):
        m.free(21)
    with pytest.raises(NotAllocated, match=r"pfn 18 is free \(order 1\)"):
        m.free(18)


def test_hinting_start_twice_is_ebusy_and_changes_nothing() -> None:
    m = small()
    m.hinting_start()
    before = snapshot(m)
    with pytest.raises(HintingBusy):
        m.hinting_start()
    assert snapshot(m) == before
    assert m.apply({"do": "hinting_start"}) == {
        "ok": False, "error": "hinting is already on (page_hinting_startup returns -EBUSY)"}


def test_a_ref_is_freed_once_even_if_its_pfn_is_reused() -> None:
    m = small()
    assert m.apply({"do": "free", "ref": "a"}) == {"ok": True}
    again = m.apply({"do": "alloc", "zone": "Normal", "order": 1, "migratetype": "Movable"})
    assert again == {"ok": True, "pfn": 16}  # same pfn, a different allocation
    before = snapshot(m)
    result = m.apply({"do": "free", "ref": "a"})
    assert result["ok"] is False and "already freed" in result["error"]
    assert snapshot(m) == before
    failed = m.apply({"do": "alloc", "zone": "DMA32", "order": 3, "migratetype": "Movable", "as": "big"})
    assert failed["ok"] is True
    failed = m.apply({"do": "alloc", "zone": "DMA32", "order": 3, "migratetype": "Movable", "as": "big2"})
    assert failed["ok"] is False
    assert "failed" in m.apply({"do": "free", "ref": "big2"})["error"]


def test_a_name_answers_for_its_latest_allocation_across_rebinds_and_clones() -> None:
    """Names live in a small dict while they hold a block and in a log after: every path must still agree."""
    m = small()
    m.apply({"do": "free", "ref": "a"})
    # Rebound after a free: the name is live again, and frees its new block.
    assert m.apply({"do": "alloc", "zone": "Normal", "order": 0, "migratetype": "Movable", "as": "a"})["ok"]
    # Rebound while live: the old block stays allocated, nameless; the name moves on.
    first = m.apply({"do": "alloc", "zone": "Normal", "order": 0, "migratetype": "Movable", "as": "b"})["pfn"]
    second = m.apply({"do": "alloc", "zone": "Normal", "order": 0, "migratetype": "Movable", "as": "b"})["pfn"]
    assert m.refs["b"] == second and first not in m._ref_of_pfn
    past = m.clone()
    assert m.apply({"do": "free", "ref": "a"}) == {"ok": True}
    assert m.apply({"do": "free", "pfn": second}) == {"ok": True}  # by pfn: the name goes with its block
    assert "already freed" in m.apply({"do": "free", "ref": "b"})["error"]
    assert m.apply({"do": "free", "pfn": first}) == {"ok": True}
    assert "no allocation was named 'c'" in m.apply({"do": "free", "ref": "c"})["error"]
    # A failed allocation under a live name takes the name from its block.
    assert m.apply({"do": "alloc", "zone": "Normal", "order": 0, "migratetype": "Movable", "as": "c"})["ok"]
    assert m.apply({"do": "alloc", "zone": "DMA32", "order": 3, "migratetype": "Movable"})["ok"]  # its only block
    assert not m.apply({"do": "alloc", "zone": "DMA32", "order": 3, "migratetype": "Movable", "as": "c"})["ok"]
    assert "failed" in m.apply({"do": "free", "ref": "c"})["error"]
    # The clone kept the names as they were when it was taken, whatever the original did since.
    assert past.apply({"do": "free", "ref": "b"}) == {"ok": True}
    assert past.apply({"do": "free", "ref": "a"}) == {"ok": True}
    assert "already freed" in past.apply({"do": "free", "ref": "a"})["error"]
    assert "no allocation was named 'c'" in past.apply({"do": "free", "ref": "c"})["error"]


def test_the_checker_finds_a_name_that_lost_track_of_its_block() -> None:
    from core.invariants import find_problems

    m = small()
    assert find_problems(m) == []
    m._ref_of_pfn.clear()
    assert any("but that pfn is named None" in p for p in find_problems(m))
    m = small()
    m.refs["a"] = 17
    assert any("does not head an allocated block" in p for p in find_problems(m))
