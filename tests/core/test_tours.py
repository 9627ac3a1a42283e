"""The guided tours (app/presets/tour-*.json): well formed, replayable, and still showing their lesson.

A tour is a hinting-scenario/1 document with `"kind": "tour"` (app/presets.py
describes the format).  Every tour here is replayed with the invariant
checker on and its events recorded, and then checked against the one seed
behaviour it teaches: each slug has a check function in CHECKS that fails if
the tour stopped exhibiting it (a model change moved a block, a setup step no
longer builds the picture the narration describes, ...).  A tour file without
a check fails the suite.

Tours about an anomaly declare it (`"anomaly": "<kind>"`); every kind of
core.anomalies.ANOMALY_KINDS must either have such a tour or be listed in
UNREACHABLE with the reason the seed never produces it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest

from app.tour_format import validate_tour
from core import Machine, decode_all, parse_scenario
from core.anomalies import ANOMALY_KINDS
from core.explain import X86_64
from core.mmzone import MIGRATETYPE_NAMES
from tests.conftest import ROOT

TOUR_DIR = ROOT / "app" / "presets"
SLUGS = sorted(p.stem[len("tour-") :] for p in TOUR_DIR.glob("tour-*.json"))
BOUNDARY_EVENTS = {"boundary_add", "boundary_del", "populate", "both_hinted"}

# Anomaly kinds that no sequence of steps produces under the seed, and why.  They are listed here rather than
# toured; whether the core keeps detecting them is the project's call.
UNREACHABLE = {
    "process_spins": (
        "refcnt only moves together with a REQUESTED bit: __page_hinting_request sets the bit and increments, "
        "page_hinting_notify_free calls it only for a zone that is not REQUESTED, page_hinting_fill clears the "
        "bit and decrements, and page_hinting_startup resets refcnt to 0 before requesting every zone once; "
        "so refcnt always equals the number of REQUESTED zones and the loop ends when the last one is done"
    ),
    "unhinted_behind_boundary": (
        "during a cycle a block gets behind a boundary only through put_hinted_page, Hinted; tail frees land in "
        "front of it and get_unhinted_page pulls from the two ends of the part in front, which therefore keeps "
        "the shape [unhinted..., Hinted..., unhinted...] it had when the cycle reset the boundary to the list "
        "head; so when both ends are Hinted everything between is Hinted and the jump to the head passes no "
        "unhinted block"
    ),
    "stale_boundary_used": (
        "the boundary is read only with ACTIVE set, and page_hinting_cycle resets every entry "
        "(page_hinting_populate_metadata) before setting ACTIVE; while ACTIVE the block under a boundary is "
        "Hinted (see unhinted_behind_boundary), so every way off the list goes through clear_page_hinted -> "
        "page_hinting_del_from_boundary, which moves the boundary on"
    ),
}


@dataclass
class Run:
    """A tour replayed step by step: results, decoded events and the state after each step."""

    slug: str
    doc: dict[str, Any]
    steps: list[dict[str, Any]]
    results: list[dict[str, Any]]
    events: list[list[dict[str, Any]]]
    states: list[dict[str, Any]]
    before: dict[str, Any]  # the state before the first step

    @property
    def setup(self) -> int:
        return sum(1 for s in self.steps if s.get("setup"))

    @property
    def narrated(self) -> range:
        return range(self.setup, len(self.steps))

    def state_before(self, i: int) -> dict[str, Any]:
        return self.states[i - 1] if i else self.before

    def narrated_events(self, kind: str | None = None) -> list[tuple[int, dict[str, Any]]]:
        """(step index, event) for the narrated steps, optionally of one kind."""
        return [(i, ev) for i in self.narrated for ev in self.events[i] if kind is None or ev["kind"] == kind]

    @property
    def hwm(self) -> int:
        return int(self.doc["hinting"]["hwm"])

    @property
    def min_order(self) -> int:
        return int(self.doc["hinting"].get("min_order", self.doc["machine"]["pageblock_order"]))


def load(slug: str) -> dict[str, Any]:
    return json.loads((TOUR_DIR / f"tour-{slug}.json").read_text(encoding="utf-8"))


@cache
def run_tour(slug: str) -> Run:
    doc = load(slug)
    scenario = parse_scenario(doc)
    m: Machine = scenario.machine_instance(record_events=True, check_invariants=True)
    m.take_raw_events()
    before = m.state()
    results, events, states = [], [], []
    for step in scenario.steps:
        results.append(m.apply_parsed(step))
        events.append(decode_all(m, m.take_raw_events()))
        states.append(m.state())
    return Run(slug, doc, scenario.raw_steps, results, events, states, before)


# --- reading states ----------------------------------------------------------------


def zone_of(state: dict[str, Any], name: str = "Normal") -> dict[str, Any]:
    return next(z for z in state["zones"] if z["name"] == name)


def free_list(state: dict[str, Any], order: int, mt: str = "Movable", zone: str = "Normal") -> list[int]:
    return list(zone_of(state, zone)["free_area"][order]["free_list"][mt])


def hinted(state: dict[str, Any], zone: str = "Normal") -> set[int]:
    return set(zone_of(state, zone)["hinted"])


def boundary(state: dict[str, Any], order: int, mt: str = "Movable") -> dict[str, Any] | None:
    return state["hinting"]["boundary"].get(str(order), {}).get(mt)


def anomaly_kinds(state: dict[str, Any]) -> set[str]:
    return {a["kind"] for a in state["anomalies"]}


def refs_freed(run: Run) -> dict[int, int]:
    """step index -> pfn, for the narrated frees."""
    out = {}
    for i in run.narrated:
        for ev in run.events[i]:
            if ev["kind"] == "free":
                out[i] = ev["pfn"]
    return out


# --- the claims, one per tour -------------------------------------------------------


def check_boundary_climbs(run: Run) -> None:
    """One cycle moves boundary[2][Movable] from the list head up to the first entry, block by block."""
    adds = run.narrated_events("boundary_add")
    assert [ev["pfn"] for _, ev in adds] == [0, 8, 16, 24]
    # Each block went back just in front of the previous boundary (the list head for the first).
    tails = [ev for _, ev in run.narrated_events("place_tail")]
    assert [ev["change"]["before"] for ev in tails] == [None, 0, 8, 16]
    assert all(ev["via"] == "tail" for _, ev in run.narrated_events("pull"))
    assert not run.narrated_events("both_hinted")
    end = run.states[-1]
    assert free_list(end, 2) == [24, 16, 8, 0]
    assert hinted(end) == {0, 8, 16, 24}
    assert boundary(end, 2)["pfn"] == free_list(end, 2)[0]


def check_frees_land_before_boundary(run: Run) -> None:
    """A tail free during a stopped cycle goes in front of the boundary, and is the next block pulled."""
    seen = 0
    for i, pfn in refs_freed(run).items():
        before = run.state_before(i)
        if not zone_of(before)["flags"]["active"]:
            continue
        for ev in run.events[i]:
            if ev["kind"] != "place_tail" or ev["pfn"] != pfn:
                continue
            b = boundary(before, ev["order"])
            assert b is not None and b["pfn"] is not None and b["pfn"] in hinted(before)
            assert ev["change"]["before"] == b["pfn"], "the free did not land in front of the boundary"
            lst = free_list(run.states[i], ev["order"])
            assert lst.index(pfn) + 1 == lst.index(b["pfn"])
            later = [e for j in range(i + 1, len(run.steps)) for e in run.events[j] if e["kind"] == "pull"]
            assert later and later[0]["pfn"] == pfn, "the tail-freed block was not the next one pulled"
            seen += 1
    assert seen == 1
    # A head free during the same window went in front of everything.
    assert any(ev["kind"] == "place_head" for i in refs_freed(run) for ev in run.events[i])


def check_hint_lost_on_merge(run: Run) -> None:
    """put_hinted_page merges the reported block with a buddy freed in the window; the hint is lost and re-paid."""
    lost = [(i, ev) for i, ev in run.narrated_events("wasted") if ev.get("anomaly") == "hint_lost_on_merge"]
    assert len(lost) == 1
    i, ev = lost[0]
    merged = [e for e in run.events[i] if e["kind"] == "put_merged"]
    assert merged and merged[0]["pfn"] == ev["pfn"]
    head = merged[0]["merged_into"]
    assert ev["pfn"] not in hinted(run.states[i])
    # The merged block is pulled again at a higher order and its report finds pages already dropped.
    after = [(j, e) for j in range(i, len(run.steps)) for e in run.events[j]]
    pulls = [e for _, e in after if e["kind"] == "pull" and e["pfn"] == head]
    assert pulls and pulls[0]["order"] > ev["order"]
    reacts = [e for _, e in after if e["kind"] == "react"]
    assert reacts[0]["dropped"] < reacts[0]["pages"]
    assert run.states[-1]["host"]["wasted_hints"] == 1


def check_warm_blocks_first(run: Run) -> None:
    """Allocations take the warm blocks freed at the head before touching a Hinted one."""
    freed = set(refs_freed(run).values())
    first = min(i for i in run.narrated if run.steps[i]["do"] == "alloc")
    lst = free_list(run.state_before(first), 2)
    warm = [p for p in lst if p not in hinted(run.state_before(first))]
    assert set(warm) == freed and lst[: len(warm)] == warm, "the warm blocks are not at the head"
    allocs = [ev for _, ev in run.narrated_events("alloc")]
    assert [ev["refaults"] for ev in allocs] == [0, 0, 4]
    assert {ev["pfn"] for ev in allocs[:2]} == freed
    assert allocs[2]["pfn"] in hinted(run.state_before(first))


def check_both_hinted_reset(run: Run) -> None:
    """get_unhinted_page takes the head when the entry before the boundary is Hinted, and resets when both are."""
    pulls = run.narrated_events("pull")
    assert pulls and pulls[0][1]["via"] == "head"
    both = run.narrated_events("both_hinted")
    assert len(both) == 1
    i, ev = both[0]
    assert i >= pulls[0][0]
    state = run.states[i]
    lst = free_list(state, ev["order"], ev["migratetype"])
    assert ev["pfn"] == lst[0]
    assert boundary(state, ev["order"], ev["migratetype"])["pfn"] == lst[0]
    assert set(lst) <= hinted(state)
    # The block taken from the head came back at the tail end.
    assert lst[-1] == pulls[0][1]["pfn"]


def check_two_zones_round_robin(run: Run) -> None:
    """Cycles go zone by zone while refcnt > 0; a request during the run sends the work around again."""
    assert [ev["boundary_reset"] for _, ev in run.narrated_events("populate")] == ["DMA32", "Normal", "DMA32"]
    start = next(i for i in run.narrated if run.steps[i]["do"] == "hinting_start")
    reqs = [ev for ev in run.events[start] if ev["kind"] == "request"]
    assert [(ev["zone"], ev["refcnt"], ev["due_ms"] is not None) for ev in reqs] == [
        ("DMA32", 1, True),
        ("Normal", 2, False),
    ]
    assert [ev["refcnt"] for _, ev in run.narrated_events("fill_end")] == [1, 0, 0]
    # A request while the work was running (stopped mid-cycle) queued the work again.
    mid = [
        (i, ev) for i, ev in run.narrated_events("request") if run.state_before(i)["hinting"]["work"]["phase"] != "idle"
    ]
    assert len(mid) == 1 and mid[0][1]["due_ms"] is not None and mid[0][1]["refcnt"] == 1
    # That queued run found nothing to do.
    last = run.events[-1]
    kinds = [ev["kind"] for ev in last]
    assert "process_start" in kinds and "process_end" in kinds and "cycle_start" not in kinds
    assert run.states[-1]["hinting"]["refcnt"] == 0


def check_move_pageblock_clears_hinted(run: Run) -> None:
    """move_to_free_list clears Hinted (pushing an ACTIVE boundary on); the block is reported again for nothing."""
    i = next(i for i in run.narrated if run.steps[i]["do"] == "move_pageblock")
    pfn = run.steps[i]["pfn"]
    before, after = run.state_before(i), run.states[i]
    assert zone_of(before)["flags"]["active"] and pfn in hinted(before)
    assert boundary(before, 2)["pfn"] == pfn
    kinds = {ev["kind"]: ev for ev in run.events[i]}
    assert kinds["boundary_del"]["pfn"] == pfn
    assert boundary(after, 2)["pfn"] == kinds["boundary_del"]["boundary"]["pfn"] != pfn
    assert kinds["clear_hinted"]["pfn"] == pfn and kinds["wasted"]["fn"] == "move_to_free_list"
    assert pfn not in hinted(after) and free_list(after, 2, "Unmovable")[0] == pfn
    later = [e for j in range(i + 1, len(run.steps)) for e in run.events[j]]
    k = next(n for n, e in enumerate(later) if e["kind"] == "pull" and e["pfn"] == pfn)
    assert later[k]["migratetype"] == "Unmovable"
    react = next(e for e in later[k:] if e["kind"] == "react")
    assert react["dropped"] == 0, "the second report of the moved block should drop nothing new"
    assert boundary(run.states[-1], 2, "Unmovable")["pfn"] == pfn


def check_notify_at_hwm(run: Run) -> None:
    """page_hinting_notify_free requests exactly when nr_free == hinted + hwm, then stops testing."""
    notes = run.narrated_events("notify")
    yes = [(i, ev) for i, ev in notes if ev["requested"]]
    assert len(yes) == 1
    i, ev = yes[0]
    assert ev["nr_free"] == ev["nr_hinted"] + run.hwm
    assert any(e["kind"] == "request" for e in run.events[i])
    for _, ev in notes:
        if not ev["requested"]:
            assert ev["nr_free"] < ev["nr_hinted"] + run.hwm
    # A merging free is tested at its final order.
    assert any(ev["order"] > run.min_order for _, ev in notes)
    # Once REQUESTED, a free is not tested at all.
    quiet = [
        j
        for j in refs_freed(run)
        if j > i
        and zone_of(run.state_before(j))["flags"]["requested"]
        and not any(e["kind"] == "notify" for e in run.events[j])
    ]
    assert quiet


def check_host_resident_memory(run: Run) -> None:
    """resident_pages falls with every cycle, then refaults rise as reported blocks are allocated."""
    resident = [run.state_before(run.setup)["host"]["resident_pages"]]
    for i in run.narrated:
        if run.steps[i]["do"] == "advance":
            resident.append(run.states[i]["host"]["resident_pages"])
    assert len(resident) == 3 and resident[0] > resident[1] > resident[2]
    allocs = [(i, ev) for i, ev in run.narrated_events("alloc")]
    assert [ev["refaults"] for _, ev in allocs] == [4, 1, 1]
    refaults = [run.states[i]["host"]["refaults"] for i, _ in allocs]
    assert refaults == sorted(refaults) and refaults[0] > 0
    assert run.states[-1]["host"]["resident_pages"] > resident[-1]
    # Only the page the order-0 allocation touched came back; its split-off siblings stay dropped.
    i, ev = allocs[1]
    assert ev["order"] == 0
    runs = zone_of(run.states[i])["nonresident"]
    assert any(start <= ev["pfn"] + 1 < start + n for start, n in runs)


def check_anomaly_hinted_not_at_tail(run: Run) -> None:
    """Between cycles a tail free goes behind the Hinted blocks; the next cycle pulls it first."""
    i = next(iter(refs_freed(run)))
    pfn = refs_freed(run)[i]
    st = run.states[i]
    assert not zone_of(st)["flags"]["active"]
    found = [a for a in st["anomalies"] if a["kind"] == "hinted_not_at_tail"]
    assert found and found[0]["pfn"] == pfn
    assert free_list(st, 2)[-1] == pfn and set(free_list(st, 2)[:-1]) <= hinted(st)
    # Allocation reached a Hinted block while the warm one waited at the tail.
    allocs = run.narrated_events("alloc")
    assert allocs and allocs[0][1]["refaults"] > 0 and pfn in free_list(run.states[allocs[0][0]], 2)
    pulls = run.narrated_events("pull")
    assert pulls[0][1]["pfn"] == pfn and pulls[0][1]["via"] == "tail"
    assert "hinted_not_at_tail" not in anomaly_kinds(run.states[-1])


def check_stale_boundary_between_cycles(run: Run) -> None:
    """Allocating the block under a boundary between cycles leaves it stale, which is marked, explained and harmless."""
    i = next(i for i in run.narrated if run.steps[i]["do"] == "alloc")
    pfn = run.results[i]["pfn"]
    assert boundary(run.state_before(i), 2)["pfn"] == pfn and not zone_of(run.state_before(i))["flags"]["active"]
    st = run.states[i]
    assert boundary(st, 2) == {"zone": "Normal", "pfn": pfn, "stale": True}, "the state marks the stale boundary"
    assert not st["anomalies"], "a stale boundary between cycles is not an anomaly"
    left = [ev for ev in run.events[i] if ev["kind"] == "boundary_left"]
    assert len(left) == 1 and left[0]["pfn"] == pfn and not left[0].get("quiet")
    assert "Harmless" in left[0]["text"] and left[0]["seed_lines"] == [2127, 2129]
    # Freed again, the block is back on its list: the same pointer is no longer stale.
    back = next(j for j in run.narrated if j > i and run.steps[j]["do"] == "free" and
                any(ev["kind"] == "free" and ev["pfn"] == pfn for ev in run.events[j]))
    assert "stale" not in boundary(run.states[back], 2)
    # The next cycle resets every boundary before it sets ACTIVE, so the pointer is never read.
    cycle = next(j for j, _ in run.narrated_events("populate"))
    first = [ev["kind"] for ev in run.events[cycle]]
    assert first.index("populate") < first.index("cycle_start")
    assert all(ev.get("anomaly") != "stale_boundary_used" for j in range(len(run.steps)) for ev in run.events[j])
    assert not any(st["anomalies"] for st in run.states)
    assert not any(b.get("stale") for row in run.states[-1]["hinting"]["boundary"].values() for b in row.values())


def check_anomaly_hinted_buddy_merged(run: Run) -> None:
    """Freeing a Hinted block's buddy merges them and wastes the hint; the merged block is reported again."""
    merged = [(i, ev) for i, ev in run.narrated_events("wasted") if ev.get("anomaly") == "hinted_buddy_merged"]
    assert len(merged) == 2
    for i, ev in merged:
        assert ev["pfn"] in hinted(run.state_before(i)) and ev["pfn"] not in hinted(run.states[i])
    assert run.states[-1]["host"]["wasted_hints"] == 2
    react = next(ev for _, ev in run.narrated_events("react"))
    assert react["pages"] == 16 and react["dropped"] == 8


def check_anomaly_notify_skipped_after_merge(run: Run) -> None:
    """A block coming back from the device merges past the high-water mark and nobody is notified."""
    found = [(i, ev) for i, ev in run.narrated_events("anomaly") if ev["anomaly"] == "notify_skipped_after_merge"]
    assert len(found) == 1
    i, ev = found[0]
    z = zone_of(run.states[i])
    order = ev["order"]
    assert z["free_area"][order]["nr_free"] >= z["hinted_pages"][order - run.min_order] + run.hwm
    assert not z["flags"]["requested"]
    assert not any(e["kind"] == "notify" for e in run.events[i])
    end = run.states[-1]
    assert not zone_of(end)["flags"]["requested"] and not end["hinting"]["work"]["pending"]
    assert free_list(end, order) and not set(free_list(end, order)) & hinted(end)


def pages_on_lists(state: dict[str, Any], zone: str = "Normal", isolate: bool = True) -> int:
    z = zone_of(state, zone)
    return sum(len(pfns) << area["order"] for area in z["free_area"] for mt, pfns in area["free_list"].items()
               if isolate or mt != "Isolate")


def check_anomaly_nr_free_pages_drift(run: Run) -> None:
    """Hinting a block from an Isolate list takes pages off NR_FREE_PAGES that were never on it, for good."""
    pulls = [(i, ev) for i, ev in run.narrated_events("anomaly") if ev["anomaly"] == "nr_free_pages_drift"]
    assert len(pulls) == 1
    i, ev = pulls[0]
    before, out = run.state_before(i), run.states[i]
    assert ev["pfn"] in free_list(before, ev["order"], "Isolate") and ev["pages"] == 1 << ev["order"]
    # Before: exactly the kernel's rule, isolated pages uncounted.
    assert zone_of(before)["nr_free_pages"] == pages_on_lists(before, isolate=False)
    # While the batch is out its pages are on no list and off the counter; the pull also took the uncounted block.
    batch = zone_of(out)["batch_pages"]
    assert batch == sum(1 << b["order"] for b in out["hinting"]["batch"]) > 0
    assert zone_of(out)["nr_free_pages"] == pages_on_lists(out, isolate=False) - ev["pages"]
    # After the drain, and after un-isolating: short by the pulled pages, and the condition says so.
    drained = next(j for j in run.narrated if j > i and not run.states[j]["hinting"]["batch"])
    assert zone_of(run.states[drained])["batch_pages"] == 0
    end = run.states[-1]
    assert not any(pb == "Isolate" for pb in zone_of(end)["pageblocks"])
    assert zone_of(end)["nr_free_pages"] == pages_on_lists(end) - ev["pages"]
    drift = [a for a in end["anomalies"] if a["kind"] == "nr_free_pages_drift"]
    assert len(drift) == 1 and drift[0]["pages"] == ev["pages"]


def real_geometry(run: Run) -> bool:
    m = run.doc["machine"]
    return (m["max_order"], m["pageblock_order"], run.min_order) == X86_64


def check_x86_64_hinted_blocks_reused(run: Run) -> None:
    """x86-64 geometry: frees go to the head, the fill tries the head then resets the boundary; Hinted blocks reused."""
    assert real_geometry(run)
    # No free ever goes to the tail at a hinting order: buddy_merge_likely is false at 9 and 10.
    assert not [ev for _, ev in run.narrated_events("place_tail") if ev["buddy_merge_likely"]]
    heads = [ev for _, ev in run.narrated_events("place_head") if ev["order"] >= run.min_order]
    assert heads and all(ev["order"] == 9 for ev in heads)
    # 1. A whole Hinted block is allocated: every page refaults, the boundary is left stale, harmlessly.
    i, first = run.narrated_events("alloc")[0]
    assert first["pfn"] in hinted(run.state_before(i)) and first["refaults"] == 512
    assert [ev["pfn"] for ev in run.events[i] if ev["kind"] == "boundary_left"] == [first["pfn"]]
    assert boundary(run.states[i], 9)["stale"] and not run.states[i]["anomalies"]
    # 2. Each cycle pulls the fresh block from the head, then finds both ends Hinted and moves the boundary there.
    pulls = [ev for _, ev in run.narrated_events("pull")]
    assert [(ev["pfn"], ev["via"]) for ev in pulls] == [(1536, "head"), (1536, "head")]
    both = run.narrated_events("both_hinted")
    assert len(both) == 2
    for j, ev in both:
        nxt = run.events[j][run.events[j].index(ev) + 1]
        assert nxt["kind"] == "boundary_add" and nxt["pfn"] == ev["pfn"], "the reason comes before the move"
    assert boundary(run.states[both[0][0]], 9)["pfn"] == 0 == free_list(run.states[both[0][0]], 9)[0]
    # 3. An order-0 allocation splits a Hinted block: one refault; the halves stay dropped, unmarked, below min_order.
    k, small = next((j, ev) for j, ev in run.narrated_events("alloc") if ev["order"] == 0)
    assert small["pfn"] in hinted(run.state_before(k)) and small["refaults"] == 1
    halves = [ev["pfn"] for ev in run.events[k] if ev["kind"] == "expand"]
    assert len(halves) == 9 and all(ev["order"] < run.min_order for ev in run.events[k] if ev["kind"] == "expand")
    runs = zone_of(run.states[k])["nonresident"]
    assert sum(n for start, n in runs if small["pfn"] < start + n and start < small["pfn"] + 512) == 511
    assert not set(halves) & hinted(run.states[k])
    # 4. Freed, the pieces merge back (no hint lost: none was Hinted) and the block is reported again for 1 page.
    assert not [ev for _, ev in run.narrated_events("wasted")]
    reacts = [ev for _, ev in run.narrated_events("react")]
    assert [(ev["pages"], ev["dropped"]) for ev in reacts] == [(512, 512), (512, 1)]
    end = run.states[-1]
    assert free_list(end, 9) == [1536, 0] and hinted(end) == {0, 1536}


def check_x86_64_merges_waste_hints(run: Run) -> None:
    """x86-64 geometry: a free swallows a Hinted order-9 buddy, a reported one merges on its way back; both reported
    again."""
    assert real_geometry(run)
    assert not [ev for _, ev in run.narrated_events("place_tail") if ev["buddy_merge_likely"]]
    wasted = [(ev["anomaly"], ev["pfn"], ev["order"]) for _, ev in run.narrated_events("wasted")]
    assert wasted == [("hinted_buddy_merged", 0, 9), ("hint_lost_on_merge", 1024, 9)]
    i = next(j for j, ev in run.narrated_events("wasted") if ev["anomaly"] == "hinted_buddy_merged")
    assert 0 in hinted(run.state_before(i)) and free_list(run.states[i], 10) == [0]
    # The merged blocks are order 10, the top order: reported again as such.
    pulls = [(ev["pfn"], ev["order"]) for _, ev in run.narrated_events("pull")]
    assert pulls == [(0, 10), (1024, 9), (1024, 10)]
    reacts = [(ev["pages"], ev["dropped"]) for _, ev in run.narrated_events("react")]
    assert reacts == [(1536, 1024), (1024, 512)], "each re-report finds half its pages already dropped"
    # The free during the window could not merge with its buddy in the batch, and asked for another cycle.
    j = next(j for j in run.narrated if run.steps[j].get("ref") == "a1536")
    assert run.state_before(j)["hinting"]["batch"] and not [ev for ev in run.events[j] if ev["kind"] == "merge"]
    assert any(ev["kind"] == "request" for ev in run.events[j])
    end = run.states[-1]
    assert end["host"]["wasted_hints"] == 2
    assert free_list(end, 10) == [1024, 0] and hinted(end) == {0, 1024}
    assert end["hinting"]["work"]["pending"] and not zone_of(end)["flags"]["requested"]


CHECKS: dict[str, Callable[[Run], None]] = {
    "boundary-climbs": check_boundary_climbs,
    "frees-land-before-boundary": check_frees_land_before_boundary,
    "hint-lost-on-merge": check_hint_lost_on_merge,
    "warm-blocks-first": check_warm_blocks_first,
    "both-hinted-reset": check_both_hinted_reset,
    "two-zones-round-robin": check_two_zones_round_robin,
    "move-pageblock-clears-hinted": check_move_pageblock_clears_hinted,
    "notify-at-hwm": check_notify_at_hwm,
    "host-resident-memory": check_host_resident_memory,
    "anomaly-hinted-not-at-tail": check_anomaly_hinted_not_at_tail,
    "stale-boundary-between-cycles": check_stale_boundary_between_cycles,
    "anomaly-hinted-buddy-merged": check_anomaly_hinted_buddy_merged,
    "anomaly-notify-skipped-after-merge": check_anomaly_notify_skipped_after_merge,
    "anomaly-nr-free-pages-drift": check_anomaly_nr_free_pages_drift,
    "x86-64-hinted-blocks-reused": check_x86_64_hinted_blocks_reused,
    "x86-64-merges-waste-hints": check_x86_64_merges_waste_hints,
}


# --- the tests ---------------------------------------------------------------------


def test_there_are_tours() -> None:
    assert SLUGS, f"no tour-*.json in {TOUR_DIR}"


def test_every_check_has_a_tour() -> None:
    assert not set(CHECKS) - set(SLUGS), "checks for tours that do not exist"


@pytest.mark.parametrize("slug", SLUGS)
def test_tour_has_a_check(slug: str) -> None:
    if "claim" in load(slug):
        return  # a review tour states its claim itself: tests/core/test_review_tours.py checks it under both designs
    assert slug in CHECKS, f"tour-{slug}.json has no check in CHECKS: say what it must show"


@pytest.mark.parametrize("slug", SLUGS)
def test_tour_document(slug: str) -> None:
    doc = load(slug)
    scenario = parse_scenario(doc)
    assert doc.get("kind") == "tour"
    for key in ("title", "description", "intro", "outro"):
        assert isinstance(doc.get(key), str) and doc[key].strip(), key
    desc = doc["description"].strip()
    assert desc.endswith(".") and not re.search(r"[.!?]\s+[A-Z]", desc), "description: one sentence"
    steps = doc["steps"]
    setup = [s for s in steps if s.get("setup")]
    assert steps[: len(setup)] == setup, "setup steps come first (they run at once when the tour starts)"
    narrated = steps[len(setup) :]
    assert 3 <= len(narrated) <= 15
    for s in narrated:
        assert isinstance(s.get("say"), str) and s["say"].strip(), s
    zones = [name for name, _ in scenario.machine.zones]
    validate_tour(doc, zones, scenario.machine.max_order)  # what the server checks when it loads the presets
    for s in steps:
        if "predict" not in s:
            continue
        assert not s.get("setup"), "a setup step runs unseen: nothing to predict"
        p = s["predict"]
        if "choices" in p:
            continue  # a multiple-choice prediction: app/tour_format.py, tests/core/test_review_tours.py
        assert isinstance(p.get("prompt"), str) and p["prompt"].strip()
        b = p["boundary"]
        assert scenario.hinting.min_order <= b["order"] < scenario.machine.max_order
        assert b["migratetype"] in MIGRATETYPE_NAMES and b["zone"] in zones
    m = scenario.machine
    real = (m.max_order, m.pageblock_order, scenario.hinting.min_order) == X86_64
    # Small enough to read: 512 pages, or on x86-64's geometry a few max-order blocks; a review tour whose
    # argument is about a real guest's size (zone-lock holds to report 1 GiB) may be a 1 GiB guest.
    limit = (1 << 18 if "review" in doc else 4 << (m.max_order - 1)) if real else 512
    assert m.nr_pages <= limit, "a tour machine should be small enough to read"


def states_geometry(text: str, machine: dict[str, Any], min_order: int) -> bool:
    return all(f"{name} {value}" in text for name, value in (
        ("max_order", machine["max_order"]), ("pageblock_order", machine["pageblock_order"]), ("min_order", min_order)))


@pytest.mark.parametrize("slug", SLUGS)
def test_tour_states_its_geometry_and_whether_its_lesson_happens_on_x86_64(slug: str) -> None:
    """The intro, shown first, names the orders; `x86_64` says whether the lesson can happen on x86-64's.

    On x86-64 (max_order 11, pageblock_order 9, min_order 9) buddy_merge_likely is false at every hinting
    order, so a lesson that needs a free to go to the tail at a hinting order cannot happen there.
    """
    run = run_tour(slug)
    doc = run.doc
    machine = doc["machine"]
    assert states_geometry(doc["intro"], machine, run.min_order), "the intro must name max_order, " \
        "pageblock_order and min_order"
    note = doc.get("x86_64")
    assert isinstance(note, dict) and isinstance(note.get("happens"), bool), "say whether it happens on x86-64"
    assert isinstance(note.get("why"), str) and "x86-64" in note["why"] and note["why"].endswith(".")
    real = (machine["max_order"], machine["pageblock_order"], run.min_order) == X86_64
    tail_frees = [ev for _, ev in run.narrated_events("place_tail")
                  if ev["buddy_merge_likely"] and ev["order"] >= run.min_order]
    if real:
        assert note["happens"] and not tail_frees, "on x86-64's own geometry the lesson happens by definition"
    if not note["happens"]:
        # The reason given: the lesson rests on a free going to the tail at a hinting order.
        assert tail_frees, "a lesson said not to happen on x86-64 shows a buddy_merge_likely tail free"
        assert run.min_order < machine["max_order"] - 2 and "buddy_merge_likely" in note["why"]


@pytest.mark.parametrize("name", sorted(p.stem for p in TOUR_DIR.glob("*.json") if not p.stem.startswith("tour-")))
def test_machine_presets_state_their_geometry(name: str) -> None:
    doc = json.loads((TOUR_DIR / f"{name}.json").read_text(encoding="utf-8"))
    scenario = parse_scenario(doc)
    assert states_geometry(doc["description"], doc["machine"], scenario.hinting.min_order)
    real = (scenario.machine.max_order, scenario.machine.pageblock_order, scenario.hinting.min_order) == X86_64
    assert ("x86-64's geometry" in doc["description"]) is real


@pytest.mark.parametrize("slug", SLUGS)
def test_tour_replays_cleanly(slug: str) -> None:
    run = run_tour(slug)  # the invariant checker runs after every step
    for i, (step, result) in enumerate(zip(run.steps, run.results, strict=True)):
        if step.get("expect_fail"):
            assert not result["ok"], f"step {i} is meant to fail: {step}"
        else:
            assert result["ok"], f"step {i} failed: {result.get('error')} ({step})"


@pytest.mark.parametrize("slug", SLUGS)
def test_tour_predicts_boundaries(slug: str) -> None:
    run = run_tour(slug)
    predicts = [i for i in run.narrated if "predict" in run.steps[i]]
    if any(ev["kind"] in BOUNDARY_EVENTS for _, ev in run.narrated_events()):
        assert predicts, "the boundaries move in this tour: ask the learner to predict one"
    for i in predicts:
        if "boundary" not in run.steps[i]["predict"]:
            continue  # a multiple-choice prediction, checked against the model in tests/core/test_review_tours.py
        b = run.steps[i]["predict"]["boundary"]
        entry = boundary(run.states[i], b["order"], b["migratetype"])
        assert entry is not None, f"step {i}: the predicted boundary is unset after the step"
        assert entry["zone"] == b["zone"], f"step {i}: the boundary points into {entry['zone']}"


@pytest.mark.parametrize("slug", [s for s in SLUGS if "claim" not in load(s)])
def test_tour_shows_its_claim(slug: str) -> None:
    if slug not in CHECKS:
        pytest.fail(f"tour-{slug}.json has no check")
    CHECKS[slug](run_tour(slug))


@pytest.mark.parametrize("slug", [s for s in SLUGS if "anomaly" in load(s)])
def test_anomaly_tour_shows_its_anomaly(slug: str) -> None:
    kind = load(slug)["anomaly"]
    assert kind in ANOMALY_KINDS
    run = run_tour(slug)
    in_events = any(ev.get("anomaly") == kind for evs in run.events for ev in evs)
    in_states = any(kind in anomaly_kinds(st) for st in run.states)
    assert in_events or in_states, f"{kind} never shows in this tour"


def test_every_anomaly_kind_has_a_tour_or_a_reason() -> None:
    toured = {load(s)["anomaly"] for s in SLUGS if "anomaly" in load(s)}
    assert not toured & set(UNREACHABLE), "a kind listed as unreachable has a tour: drop it from UNREACHABLE"
    missing = set(ANOMALY_KINDS) - toured - set(UNREACHABLE)
    assert not missing, f"anomaly kinds with neither a tour nor a reason: {sorted(missing)}"
    assert set(UNREACHABLE) <= set(ANOMALY_KINDS)


def test_the_unreachable_kinds_are_the_cores_guards() -> None:
    from core.anomalies import GUARD_KINDS

    assert set(UNREACHABLE) == set(GUARD_KINDS)
