"""Refused steps: each must fail and leave m.state() byte-identical (MODEL.md,
"free(pfn, order): only an allocated block may be freed, with its own order";
FORMATS.md: "A step that fails ... the state is unchanged by it").
"""

from __future__ import annotations

from .helpers import (
    alloc,
    batch,
    dump,
    eight_order2,
    fails,
    fl,
    free,
    hinted,
    machine,
    ok,
    prefix_p,
    start,
    step,
)


def test_bad_frees_on_a_fresh_machine():
    m = machine()  # o4 [16, 0]: nothing is allocated
    fails(m, {"do": "free", "pfn": 0})  # head of a free block
    fails(m, {"do": "free", "pfn": 16, "order": 4})  # free block, its own order
    fails(m, {"do": "free", "pfn": 3})  # inside a free block
    fails(m, {"do": "free", "pfn": 32})  # one past the end
    fails(m, {"do": "free", "pfn": 10_000})
    fails(m, {"do": "free", "pfn": -1})
    fails(m, {"do": "free", "ref": "nobody"})
    fails(m, {"do": "move_pageblock", "pfn": 32, "migratetype": "Unmovable"})
    fails(m, {"do": "step"})


def test_bad_frees_while_a_cycle_is_stopped():
    m = machine()
    prefix_p(m)
    # Now: allocated 16, 20, 4, 12 (order 2; a16 a20 a4 a12); free Hinted 0 (o2) and
    # 24 (o3); 8 in the batch; a24 a28 a0 a8 were freed by pfn.
    assert batch(m) == [(8, 2, "Movable")]
    assert hinted(m) == [0, 24]
    fails(m, {"do": "free", "pfn": 8})  # in flight to the host
    fails(m, {"do": "free", "pfn": 8, "order": 2})
    fails(m, {"do": "free", "pfn": 0})  # free and Hinted
    fails(m, {"do": "free", "pfn": 24, "order": 3})  # free and Hinted, order 3
    fails(m, {"do": "free", "pfn": 28})  # tail page of the free block at 24
    fails(m, {"do": "free", "pfn": 4, "order": 1})  # allocated, wrong order
    fails(m, {"do": "free", "pfn": 4, "order": 3})
    fails(m, {"do": "free", "pfn": 5})  # inside the allocated block at 4
    fails(m, {"do": "free", "pfn": 7, "order": 0})
    fails(m, {"do": "free", "ref": "a4", "order": 0})  # ref with a wrong order
    fails(m, {"do": "free", "ref": "a24"})  # already freed (by pfn)
    fails(m, {"do": "free", "ref": "a8"})
    fails(m, {"do": "free", "pfn": 33})
    fails(m, {"do": "hinting_start"})  # -EBUSY
    # No free block of order 4 or above anywhere (0 o2, 24 o3 free; 8 in flight):
    # the alloc fails, and freeing its name fails too.
    fails(m, {"do": "alloc", "zone": "Normal", "order": 4, "migratetype": "Movable", "as": "big"})
    fails(m, {"do": "free", "ref": "big"})
    # A real free still works afterwards, and a second free of it is refused.
    ok(m, {"do": "free", "ref": "a12"})
    fails(m, {"do": "free", "ref": "a12"})
    fails(m, {"do": "free", "pfn": 12})


def test_failed_steps_leave_no_trace_in_later_behaviour():
    # Two machines run the same successful steps; one also runs many refused steps
    # in between.  Their states must stay identical.
    a = machine()
    b = machine()
    for mm in (a, b):
        eight_order2(mm)
        free(mm, 24)
        free(mm, 28)
        free(mm, 0)
        free(mm, 8)
        start(mm)
    for s in (
        {"do": "free", "pfn": 24},
        {"do": "free", "pfn": 1},
        {"do": "free", "pfn": 16, "order": 3},
        {"do": "alloc", "zone": "Normal", "order": 4, "migratetype": "Reclaimable"},
    ):
        fails(b, s)
    for mm in (a, b):
        ok(mm, {"do": "advance", "ms": 100})
        step(mm)
    assert dump(a) == dump(b)
    for s in ({"do": "free", "pfn": 24}, {"do": "free", "pfn": 0}, {"do": "free", "pfn": 9}):
        fails(b, s)
    for mm in (a, b):
        for _ in range(5):  # react 0, drain, react 8, drain, end: o2 [8, 0]
            step(mm)
        assert alloc(mm, 2) == 8
        free(mm, 8)
    assert dump(a) == dump(b)
    assert fl(a, 2) == [8, 0]


def test_free_of_a_block_after_it_merged_into_a_free_one():
    m = machine()
    eight_order2(m)
    free(m, 0)
    free(m, 4)  # merges 0 and 4 -> 0/o3
    fails(m, {"do": "free", "pfn": 0})
    fails(m, {"do": "free", "pfn": 4, "order": 2})
    fails(m, {"do": "free", "ref": "nope"})
