"""Page flag writes per encoding (core/page_repr.py, docs/page-representation.md).

* By hand, on a 16-page machine: what each encoding writes for an
  allocation that splits, a plain allocation, a free, a free that merges,
  a hinting pass, a pageblock move of a Hinted block and the allocation of a
  Hinted block.
* Against a brute-force oracle: every elementary operation (a list add, a
  list removal, a move between lists, a mark set, a mark cleared) is
  intercepted, every page's marking bit is recomputed from the free lists
  after it, and the pages whose bit changed are counted; the zone's counted
  writes must equal them after every step, for every registered design and
  for the test-only third design of test_design_seam.py.
* A design that writes its mark behind the helpers' back is caught.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.mmzone as mmzone
from core import HintingConfig, Machine, MachineConfig, parse_scenario
from core.design import DesignConfig
from core.designs import DESIGNS
from core.errors import InvariantViolation
from core.mmzone import DESIGN_MARK, Page
from core.page_flags import ENCODINGS, PageType
from core.page_repr import flag_writes, locate, struct_page
from tests.core.test_design_seam import Eager, EagerConfig
from tests.core.test_inline_helpers import helpers_in_place
from tests.core.test_properties import OPS, concrete, machines

# The elementary operations: the only functions that put a block on a list, take it off,
# move it between lists, or set or clear the design mark (with the hot paths' inline copies
# replaced by the helpers, as tests/core/test_inline_helpers.py does).
ELEMENTARY = ("add_to_free_list", "add_to_free_list_tail", "del_page_from_free_list", "move_to_free_list",
              "SetPageMarked", "ClearPageMarked")


def listed_bits(m: Machine, carries: Callable[[bool], bool]) -> set[int]:
    """The pfns whose marking bit is set: free heads on a list that the encoding marks."""
    out = set()
    for zone in m.zones:
        for area in zone.free_area:
            for head in area.free_list:
                node = head.next
                while type(node) is Page:
                    if carries(m.design.is_marked(node)):
                        out.add(node.pfn)
                    node = node.next
    return out


class Oracle:
    """Diffs every page's marking bit after each outermost elementary operation."""

    def __init__(self, m: Machine) -> None:
        self.m = m
        self.depth = 0
        self.ops = 0
        self.bits = {name: listed_bits(m, enc.carries) for name, enc in ENCODINGS.items()}
        self.writes = {name: [0] * len(m.zones) for name in ENCODINGS}

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def elementary(*args: Any, **kwargs: Any) -> Any:
            self.depth += 1
            try:
                return fn(*args, **kwargs)
            finally:
                self.depth -= 1
                if self.depth == 0:  # a mark cleared inside a removal or a move is part of that operation
                    self.settle()
        return elementary

    def settle(self) -> None:
        self.ops += 1
        for name, enc in ENCODINGS.items():
            now = listed_bits(self.m, enc.carries)
            for pfn in now ^ self.bits[name]:
                self.writes[name][self.m.pgdat.page_zone(pfn).idx] += 1
            self.bits[name] = now


@contextmanager
def watched(oracle: Oracle) -> Iterator[None]:
    with helpers_in_place(), pytest.MonkeyPatch.context() as mp:
        for name in ELEMENTARY:
            original = getattr(mmzone, name)
            wrapped = oracle.wrap(original)
            for module in list(sys.modules.values()):
                if module.__name__.startswith(("core", "tests")) and getattr(module, name, None) is original:
                    mp.setattr(module, name, wrapped)
        yield


def counted(m: Machine) -> dict[str, list[int]]:
    return {name: [flag_writes(z, enc)["total"] for z in m.zones] for name, enc in ENCODINGS.items()}


def check_run(m: Machine, steps: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> int:
    """Apply steps under the oracle; counted writes must equal the diffed ones after each."""
    oracle = Oracle(m)
    start = counted(m)
    with watched(oracle):
        for step in steps:
            m.apply(step)
            now = counted(m)
            for name in ENCODINGS:
                got = [a - b for a, b in zip(now[name], start[name], strict=True)]
                assert got == oracle.writes[name], f"{name} after {step}: counted {got}, diffed {oracle.writes[name]}"
            for name, enc in ENCODINGS.items():  # the page view shows the same bits
                assert page_bits(m, enc.name) == oracle.bits[name]
    return oracle.ops


def page_bits(m: Machine, encoding: str) -> set[int]:
    """The marking bit of every page as page_repr's struct page shows it."""
    enc = ENCODINGS[encoding]
    out = set()
    for pfn in range(m.pgdat.nr_pages):
        sp = struct_page(m, locate(m, pfn), pfn, enc)
        bit = PageType(sp.page_type, enc.type_bit) if enc.type_bit is not None else sp.flags >> enc.flag_bit & 1
        if bit:
            out.add(pfn)
    return out


# --- by hand ------------------------------------------------------------------------------------


def small() -> Machine:
    # 16 pages, two order-3 blocks at boot: free_area[3].free_list[Movable] = [8, 0].
    return Machine(MachineConfig(4, 2, (("Normal", 16),)), HintingConfig(min_order=2, hwm=0, capacity=4, delay_ms=10))


HAND = [
    # (step, writes under offline-alias, dirty-unhinted, uptodate-reported, why)
    ({"do": "alloc", "zone": "Normal", "order": 0, "migratetype": "Movable"}, 0, 4,
     "8 leaves its list (dirty cleared), the split puts 12 (o2), 10 (o1), 9 (o0) on lists (dirty set on each)"),
    ({"do": "alloc", "zone": "Normal", "order": 0, "migratetype": "Movable"}, 0, 1, "9 leaves its list"),
    ({"do": "free", "pfn": 9}, 0, 1, "9 goes back alone (its buddy 8 is allocated)"),
    ({"do": "free", "pfn": 8}, 0, 4, "9, 10 and 12 merge away (three clears), 8 (o3) goes on a list (one set)"),
    ({"do": "hinting_start"}, 0, 0, "no list changes"),
    ({"do": "advance", "ms": 10}, 2, 6,
     "the pass pulls 0 and 8 (dirty cleared twice), puts them back (set twice) and marks them Hinted "
     "(offline set / uptodate set / dirty cleared, twice)"),
    ({"do": "move_pageblock", "pfn": 0, "migratetype": "Unmovable"}, 1, 1,
     "the seed clears Hinted on 0 as it moves lists: its mark goes, and dirty comes back"),
    ({"do": "alloc", "zone": "Normal", "order": 3, "migratetype": "Movable"}, 1, 0,
     "Hinted 8 is allocated: its mark is cleared as it leaves; it never had dirty"),
]


def test_each_encoding_writes_what_the_hand_count_says() -> None:
    m = small()
    z = m.zones[0]
    before = {name: flag_writes(z, enc) for name, enc in ENCODINGS.items()}
    for step, offline, dirty, why in HAND:
        assert m.apply(step)["ok"], step
        now = {name: flag_writes(z, enc) for name, enc in ENCODINGS.items()}
        got = {name: now[name]["total"] - before[name]["total"] for name in ENCODINGS}
        assert got == {"offline-alias": offline, "dirty-unhinted": dirty, "uptodate-reported": offline}, why
        before = now
    # The whole run, by operation: adds 3+1+1+2 = 7, removals 1+1+3+2+1 = 8, marks set 2,
    # cleared on a list 1 (the move), cleared leaving it 1 (the allocation).
    assert before["dirty-unhinted"] == {"total": 17, "list_adds": 7, "list_removals": 8, "marks_set": 2,
                                        "marks_cleared_on_list": 1, "marks_cleared_off_list": 1}
    assert before["offline-alias"]["total"] == before["uptodate-reported"]["total"] == 4


def test_the_hand_run_also_passes_the_oracle() -> None:
    m = small()
    # 4 + 1 + 1 + 4 + 0 + 6 + 1 + 1 elementary operations, each intercepted
    assert check_run(m, [step for step, *_ in HAND]) == 18


def test_boot_and_the_initial_state_are_not_counted() -> None:
    m = parse_scenario({"format": "hinting-scenario/1", "machine": {"max_order": 4, "pageblock_order": 2, "zones": [
        {"name": "Normal", "pages": 16, "initial": {"free": [{"pfn": 0, "order": 2}, {"pfn": 8, "order": 3}]}}]},
        "steps": []}).machine_instance()
    z = m.zones[0]
    assert z.nr_list_adds > 2  # the initial state was built with the allocator's own operations
    assert all(flag_writes(z, enc)["total"] == 0 for enc in ENCODINGS.values())
    m.apply({"do": "free", "pfn": 4})
    assert flag_writes(z, ENCODINGS["dirty-unhinted"])["list_adds"] == 1
    assert m.clone().zones[0].page_flag_base == z.page_flag_base  # checkpoints carry the start


# --- the oracle, on random runs ------------------------------------------------------------------------


@contextmanager
def registered(name: str) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        if name == Eager.name:
            mp.setitem(DESIGNS, Eager.name, Eager)
        yield


def design_config(name: str, machine: MachineConfig, seed_cfg: HintingConfig) -> DesignConfig:
    """The design's default configuration with the drawn common fields it has."""
    if name == "seed":
        return seed_cfg
    if name == Eager.name:
        return EagerConfig(min_order=seed_cfg.min_order, delay_ms=seed_cfg.delay_ms, stepping=seed_cfg.stepping)
    cfg = DESIGNS[name].default_config(machine)
    common = {k: getattr(seed_cfg, k) for k in ("min_order", "capacity", "delay_ms", "stepping")}
    return dataclasses.replace(cfg, **{k: v for k, v in common.items() if hasattr(cfg, k)})  # type: ignore[type-var]


DESIGN_NAMES = [*sorted(DESIGNS), Eager.name]
EXAMPLES = 60


@pytest.mark.parametrize("design", DESIGN_NAMES)
def test_counted_writes_equal_the_diffed_bits(design: str) -> None:
    @settings(max_examples=EXAMPLES, deadline=None)
    @given(machines(), st.lists(OPS, min_size=1, max_size=50))
    def run(cfg_pair: tuple[MachineConfig, HintingConfig], ops: list[tuple[Any, ...]]) -> None:
        cfg, seed_cfg = cfg_pair
        with registered(design):
            m = Machine(cfg, design_config(design, cfg, seed_cfg), check_invariants=True)
            check_run(m, (concrete(m, op) for op in ops))

    run()


@dataclasses.dataclass(frozen=True)
class SneakyConfig(EagerConfig):
    design: ClassVar[str] = "sneaky"


def test_a_design_writing_its_mark_directly_is_caught() -> None:
    class Sneaky(Eager):
        name = "sneaky"

        def _pass(self) -> Iterator[Any]:
            yield from super()._pass()
            for zone in self.pgdat.node_zones:
                for order in range(self.min_order, self.pgdat.max_order):
                    for head in zone.free_area[order].free_list:
                        node = head.next
                        if type(node) is Page:
                            node.info &= ~DESIGN_MARK  # behind ClearPageMarked's back
                            return

    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(DESIGNS, "sneaky", Sneaky)
        m = Machine(MachineConfig(5, 2, (("Normal", 64),)), SneakyConfig(), check_invariants=True)
        assert isinstance(m.design, Sneaky)
        m.apply({"do": "hinting_start"})
        with pytest.raises(InvariantViolation, match="without SetPageMarked/ClearPageMarked"):
            m.apply({"do": "advance", "ms": 10})
