"""A second reading of MODEL-REPORTING.md: the reporting pass written again, as simply as possible.

`Ref` below is written from the spec alone, not from core/: plain Python
lists (head first) and dicts, no list nodes, no hooks, no seam, no speed.
It knows just enough of the allocator for a pass: putting a block back
(v5.3's merge, the isolation rule at pageblock_order, buddy_merge_likely),
and, for what may happen while a pass is stopped, a free, a simple
allocation (__rmqueue_smallest only) and a pageblock move.

Each scenario: a random machine is churned by the real model (reporting on,
auto mode) into a random layout with some blocks Reported; the layout is
copied into a `Ref`; then the model runs one pass in stepping mode and the
reference runs the same pass, and at every stopping point a random
free, allocation or pageblock move is applied to both.  At every stop and at
the end, everything the spec fixes must be equal: every free list in order,
the Reported blocks, the batch in slot order, pageblock types, the device
state, the stopped cycle's order, migratetype and budget, the work pending
and due, NR_FREE_PAGES, the pages reported to the host, and what the pass
read and pulled (entries read, batches).

REFERENCE_SCENARIOS (default 2000) sets how many; each scenario is its own
seed, so a failure names the seed that reproduces it.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from typing import Any

import pytest

from core import Machine, MachineConfig
from core.page_reporting_design import ReportingConfig

MTS = ("Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate")
ISO = 4
SCENARIOS = int(os.environ.get("REFERENCE_SCENARIOS", "2000"))


class Ref:
    """The machine as plain data, and the pass as MODEL-REPORTING.md describes it."""

    def __init__(self, m: Machine) -> None:
        cfg = m.machine_config
        rep = m.hinting_config
        assert isinstance(rep, ReportingConfig)
        self.max_order = cfg.max_order
        self.pb = cfg.pageblock_order
        self.min_order = rep.min_order
        self.capacity = rep.capacity
        self.delay = rep.delay_ms
        state = m.state()
        self.now = state["now_ms"]
        self.zones: list[tuple[str, int, int]] = []  # (name, first pfn, end pfn)
        self.lists: dict[tuple[int, int, int], list[int]] = {}  # (zone, order, mt) -> pfns, head first
        self.free: dict[int, tuple[int, int, int]] = {}  # pfn -> (zone, order, mt): blocks on lists
        self.allocated: dict[int, int] = {}  # pfn -> order
        self.pageblock: dict[int, int] = {}  # pageblock index -> mt
        self.nr_free_pages: list[int] = []
        self.reported: set[int] = set()
        for zi, z in enumerate(state["zones"]):
            self.zones.append((z["name"], z["start_pfn"], z["start_pfn"] + z["pages"]))
            self.nr_free_pages.append(z["nr_free_pages"])
            for area in z["free_area"]:
                for mt_name, pfns in area["free_list"].items():
                    mt = MTS.index(mt_name)
                    self.lists[(zi, area["order"], mt)] = list(pfns)
                    for p in pfns:
                        self.free[p] = (zi, area["order"], mt)
            for i, name in enumerate(z["pageblocks"]):
                self.pageblock[(z["start_pfn"] >> self.pb) + i] = MTS.index(name)
            for a in z["allocated"]:
                self.allocated[a["pfn"]] = a["order"]
            self.reported.update(z["reported"])
        self.state = state["hinting"]["state"]
        self.registered = state["hinting"]["enabled"]
        self.pending = state["hinting"]["work"]["pending"]
        self.due = state["hinting"]["work"]["due_ms"]
        self.host_pages = state["host"]["reported_pages"]
        self.slots: list[tuple[int, int] | None] = [None] * self.capacity
        self.stop_info: tuple[str | None, int | None, int | None, int | None] = (None, None, None, None)
        self.entries = 0
        self.batches = 0

    # --- plain allocator bits -----------------------------------------------------------

    def zone_of(self, pfn: int) -> int:
        return next(i for i, (_, lo, hi) in enumerate(self.zones) if lo <= pfn < hi)

    def mt_of(self, pfn: int) -> int:
        return self.pageblock[pfn >> self.pb]

    def has_isolate(self, zi: int) -> bool:
        _, lo, hi = self.zones[zi]
        return any(self.pageblock[b] == ISO for b in range(lo >> self.pb, hi >> self.pb))

    def take_off(self, pfn: int) -> None:
        """Off its list; the Reported flag goes with it."""
        zi, order, mt = self.free.pop(pfn)
        self.lists[(zi, order, mt)].remove(pfn)
        self.reported.discard(pfn)

    def put(self, pfn: int, order: int, mt: int, notify: bool) -> tuple[int, int]:
        """__free_one_page: merge, then the tail if buddy_merge_likely else the head; returns the block."""
        zi = self.zone_of(pfn)
        if mt != ISO:
            self.nr_free_pages[zi] += 1 << order
        while order < self.max_order - 1:
            buddy = pfn ^ (1 << order)
            if order >= self.pb and self.has_isolate(zi):
                buddy_mt = self.mt_of(buddy)
                if mt != buddy_mt and ISO in (mt, buddy_mt):
                    break
            if buddy not in self.free or self.free[buddy][1] != order:
                break
            self.take_off(buddy)
            pfn = min(pfn, buddy)
            order += 1
        tail = False
        if order < self.max_order - 2:
            combined = pfn & ~(1 << order)  # the block one order up that this one would be half of
            higher = combined ^ (1 << (order + 1))
            tail = higher in self.free and self.free[higher][1] == order + 1
        lst = self.lists[(zi, order, mt)]
        if tail:
            lst.append(pfn)
        else:
            lst.insert(0, pfn)
        self.free[pfn] = (zi, order, mt)
        if notify and order >= self.min_order and self.registered:
            self.request()
        return pfn, order

    def request(self) -> None:
        if self.state == "requested":
            return
        old, self.state = self.state, "requested"
        if old == "idle" and not self.pending:
            self.pending, self.due = True, self.now + self.delay

    def free_block(self, pfn: int) -> None:
        order = self.allocated.pop(pfn)
        self.put(pfn, order, self.mt_of(pfn), notify=True)

    def alloc_smallest(self, zi: int, order: int, mt: int) -> int | None:
        """__rmqueue_smallest only: the head of the smallest non-empty list of `mt` at order >= `order`."""
        for current in range(order, self.max_order):
            lst = self.lists[(zi, current, mt)]
            if lst:
                pfn = lst[0]
                self.take_off(pfn)
                while current > order:  # expand: each upper half to the head of the next list down
                    current -= 1
                    half = pfn + (1 << current)
                    self.lists[(zi, current, mt)].insert(0, half)
                    self.free[half] = (zi, current, mt)
                self.allocated[pfn] = order
                self.nr_free_pages[zi] -= 1 << order
                return pfn
        return None

    def move_pageblock(self, pfn: int, mt: int) -> None:
        zi = self.zone_of(pfn)
        start = pfn & ~((1 << self.pb) - 1)
        old = self.mt_of(start)
        self.pageblock[start >> self.pb] = mt
        moved = 0
        for p in range(start, start + (1 << self.pb)):
            if p in self.free:
                _, order, from_mt = self.free[p]
                self.lists[(zi, order, from_mt)].remove(p)
                self.lists[(zi, order, mt)].insert(0, p)
                self.free[p] = (zi, order, mt)
                moved += 1 << order
        if mt == ISO and old != ISO:
            self.nr_free_pages[zi] -= moved
        elif old == ISO and mt != ISO:
            self.nr_free_pages[zi] += moved

    def isolate(self, pfn: int, order: int) -> None:
        """__isolate_free_page: off the list, off the counter unless Isolate, pageblocks taken over."""
        zi = self.free[pfn][0]
        if self.mt_of(pfn) != ISO:
            self.nr_free_pages[zi] -= 1 << order
        self.take_off(pfn)
        if order >= self.pb - 1:
            block = pfn
            while block < pfn + (1 << order) - 1:
                if self.mt_of(block) not in (ISO, 3):
                    self.pageblock[block >> self.pb] = 1
                block += 1 << self.pb

    # --- the pass --------------------------------------------------------------------------

    def report(self, first: int) -> None:
        self.batches += 1
        for slot in self.slots[first:]:
            assert slot is not None
            self.host_pages += 1 << slot[1]

    def drain(self, first: int) -> None:
        for i in range(first, self.capacity):
            slot = self.slots[i]
            assert slot is not None
            pfn, order = slot
            if self.put(pfn, order, self.mt_of(pfn), notify=False) == (pfn, order):
                self.reported.add(pfn)
            self.slots[i] = None

    def run_pass(self) -> Iterator[str]:
        """One pass; yields "report" and "drain" where it stops."""
        assert self.state == "requested" and self.pending
        self.pending, self.due = False, None
        self.state = "active"
        for zi, (name, _, _) in enumerate(self.zones):
            offset = self.capacity
            for order in range(self.min_order, self.max_order):
                for mt in range(4):  # Isolate (4) is skipped
                    lst = self.lists[(zi, order, mt)]
                    if not lst:
                        continue
                    nr_free = sum(len(self.lists[(zi, order, t)]) for t in range(5))
                    budget = -(-nr_free // (self.capacity * 16))
                    i = 0
                    while i < len(lst):
                        pfn = lst[i]
                        self.entries += 1
                        if pfn in self.reported:
                            i += 1
                            continue
                        if budget < 0:
                            self.state = "requested"
                            lst[:] = lst[i:] + lst[:i]  # rotate: pfn first
                            break
                        if offset > 0:
                            self.isolate(pfn, order)  # removes lst[i]: the next entry is at i now
                            offset -= 1
                            self.slots[offset] = (pfn, order)
                            continue
                        lst[:] = lst[i:] + lst[:i]
                        self.stop_info = (name, order, mt, budget)
                        yield "report"
                        self.report(0)
                        offset = self.capacity
                        budget -= 1
                        self.stop_info = (name, order, mt, budget)
                        yield "drain"
                        self.stop_info = (None, None, None, None)
                        self.drain(0)
                        i = 0
            if offset < self.capacity:
                self.stop_info = (name, None, None, None)
                yield "report"
                self.report(offset)
                yield "drain"
                self.stop_info = (None, None, None, None)
                self.drain(offset)
        if self.state == "active":
            self.state = "idle"
        elif self.registered:
            self.pending, self.due = True, self.now + self.delay

    # --- what the model must equal ----------------------------------------------------------

    def view(self, phase: str) -> dict[str, Any]:
        name, order, mt, budget = self.stop_info if phase != "idle" else (None, None, None, None)
        return {
            "lists": {k: list(v) for k, v in self.lists.items() if v},
            "reported": sorted(self.reported),
            "batch": [s[0] for s in self.slots if s is not None],
            "pageblocks": [self.pageblock[b] for b in sorted(self.pageblock)],
            "state": self.state,
            "work": {"phase": phase, "zone": name, "order": order,
                     "migratetype": MTS[mt] if mt is not None else None, "budget": budget,
                     "pending": self.pending, "due_ms": self.due},
            "nr_free_pages": list(self.nr_free_pages),
            "host_pages": self.host_pages,
        }


def model_view(m: Machine) -> dict[str, Any]:
    state = m.state()
    lists: dict[tuple[int, int, int], list[int]] = {}
    pageblocks: list[int] = []
    for zi, z in enumerate(state["zones"]):
        for area in z["free_area"]:
            for mt_name, pfns in area["free_list"].items():
                if pfns:
                    lists[(zi, area["order"], MTS.index(mt_name))] = list(pfns)
        pageblocks += [MTS.index(name) for name in z["pageblocks"]]
    w = state["hinting"]["work"]
    return {
        "lists": lists,
        "reported": sorted(p for z in state["zones"] for p in z["reported"]),
        "batch": [b["pfn"] for b in state["hinting"]["batch"]],
        "pageblocks": pageblocks,
        "state": state["hinting"]["state"],
        "work": {k: w[k] for k in ("phase", "zone", "order", "migratetype", "budget", "pending", "due_ms")},
        "nr_free_pages": [z["nr_free_pages"] for z in state["zones"]],
        "host_pages": state["host"]["reported_pages"],
    }


# --- scenarios ------------------------------------------------------------------------------


def random_machine(rng: random.Random) -> Machine:
    max_order = rng.randint(4, 7)
    pb = rng.randint(1, max_order - 1)
    block = 1 << (max_order - 1)
    zones = tuple((name, block * rng.randint(1, 4)) for name in ["DMA32", "Normal"][-rng.randint(1, 2):])
    rep = ReportingConfig(min_order=rng.randint(0, max_order - 1), capacity=rng.choice([1, 1, 2, 3, 4, 8]),
                          delay_ms=rng.randint(1, 50), stepping=False)
    return Machine(MachineConfig(max_order, pb, zones), rep)


def churn(m: Machine, rng: random.Random, steps: int) -> None:
    """A random layout, with Reported blocks, made by the model itself."""
    zones = [z.name for z in m.zones]
    m.apply({"do": "hinting_start"})
    for _ in range(steps):
        r = rng.random()
        blocks = [b for z in m.zones for b in m.allocated_blocks(z)]
        if r < 0.45 or not blocks:
            m.apply({"do": "alloc", "zone": rng.choice(zones), "order": rng.randint(0, m.pgdat.max_order - 1),
                     "migratetype": rng.choice(MTS[:3])})
        elif r < 0.85:
            pfn, order, _ = rng.choice(blocks)
            m.apply({"do": "free", "pfn": pfn, "order": order})
        elif r < 0.93:
            m.apply({"do": "move_pageblock", "pfn": rng.randrange(m.pgdat.nr_pages), "migratetype": rng.choice(MTS)})
        else:
            m.apply({"do": "advance", "ms": rng.randint(1, 60)})
    m.apply({"do": "hinting_stop"})


def poke(m: Machine, ref: Ref, rng: random.Random) -> None:
    """While the pass is stopped: a free, an allocation or a pageblock move, to both."""
    r = rng.random()
    if r < 0.4 and ref.allocated:
        pfn = rng.choice(sorted(ref.allocated))
        assert m.apply({"do": "free", "pfn": pfn, "order": ref.allocated[pfn]})["ok"]
        ref.free_block(pfn)
    elif r < 0.75:
        zi = rng.randrange(len(ref.zones))
        order = rng.randint(0, ref.max_order - 1)
        mt = rng.randrange(3)
        pfn = ref.alloc_smallest(zi, order, mt)
        if pfn is not None:  # only what __rmqueue_smallest alone serves: the model takes the same block
            got = m.apply({"do": "alloc", "zone": ref.zones[zi][0], "order": order, "migratetype": MTS[mt]})
            assert got == {"ok": True, "pfn": pfn}
    elif r < 0.9:
        pfn = rng.randrange(ref.zones[-1][2])
        mt = rng.randrange(5)
        assert m.apply({"do": "move_pageblock", "pfn": pfn, "migratetype": MTS[mt]})["ok"]
        ref.move_pageblock(pfn, mt)


def one_scenario(seed: int) -> int:
    """Runs one scenario; returns the number of stopping points compared."""
    rng = random.Random(seed)
    m = random_machine(rng)
    churn(m, rng, rng.randint(0, 60))
    m.apply({"do": "hinting_start"})
    m.apply({"do": "stepping", "on": True})
    ref = Ref(m)
    m.check_invariants = True
    costs = m.state()["hinting"]["costs"]
    stops = 0
    assert m.apply({"do": "step"})["ok"]  # the pending pass starts now
    for phase in ref.run_pass():
        assert model_view(m) == ref.view(phase), f"seed {seed}, stop {stops} ({phase})"
        stops += 1
        for _ in range(rng.choice([0, 0, 1, 2])):
            poke(m, ref, rng)
        assert m.apply({"do": "step"})["ok"]
    assert model_view(m) == ref.view("idle"), f"seed {seed}, after the pass"
    after = m.state()["hinting"]["costs"]
    assert after["entries_read"] - costs["entries_read"] == ref.entries, f"seed {seed}: entries read"
    assert after["batches"] - costs["batches"] == ref.batches, f"seed {seed}: batches"
    return stops


def test_the_reference_is_not_trivially_equal() -> None:
    """The reference sees what the model sees: a changed list breaks the comparison."""
    rng = random.Random(3)
    m = random_machine(rng)
    churn(m, rng, 30)
    ref = Ref(m)
    assert model_view(m) == ref.view("idle")
    key = next(iter(k for k, v in ref.lists.items() if v))
    ref.lists[key].append(10**9)
    assert model_view(m) != ref.view("idle")


@pytest.mark.parametrize("chunk", range(10))
def test_model_and_reference_agree_on_random_scenarios(chunk: int) -> None:
    seeds = range(chunk, SCENARIOS, 10)
    stops = sum(one_scenario(seed) for seed in seeds)
    assert stops > len(seeds)  # the passes stopped: the windows were exercised
