"""Small helpers for the hand-computed core tests (tests/core/test_hand_*.py).

Nothing here computes an expected value: the helpers only drive a Machine and
read its lists back, so every expectation in the tests stays written out by hand.
"""

from __future__ import annotations

import json
from typing import Any

from core import HintingConfig, Machine, MachineConfig
from core.page_reporting_design import ReportingConfig

MT = {"Unmovable": 0, "Movable": 1, "Reclaimable": 2, "HighAtomic": 3, "Isolate": 4}


def machine(
    max_order: int = 5,
    pageblock_order: int = 2,
    zones: tuple[tuple[str, int], ...] = (("Normal", 32),),
    *,
    min_order: int | None = None,
    hwm: int = 1,
    capacity: int = 1,
    delay_ms: int = 100,
    stepping: bool = True,
    record_events: bool = False,
) -> Machine:
    """A small machine with the invariant checker on after every step."""
    cfg = MachineConfig(max_order=max_order, pageblock_order=pageblock_order, zones=zones)
    hint = HintingConfig(
        min_order=pageblock_order if min_order is None else min_order,
        hwm=hwm,
        capacity=capacity,
        delay_ms=delay_ms,
        stepping=stepping,
    )
    return Machine(cfg, hint, check_invariants=True, record_events=record_events)


def rmachine(
    max_order: int = 5,
    pageblock_order: int = 2,
    zones: tuple[tuple[str, int], ...] = (("Normal", 32),),
    *,
    min_order: int | None = None,
    capacity: int = 1,
    delay_ms: int = 100,
    stepping: bool = True,
    record_events: bool = False,
) -> Machine:
    """A small machine under free page reporting (Linux 5.7), the invariant checker on after every step."""
    cfg = MachineConfig(max_order=max_order, pageblock_order=pageblock_order, zones=zones)
    rep = ReportingConfig(
        min_order=pageblock_order if min_order is None else min_order,
        capacity=capacity,
        delay_ms=delay_ms,
        stepping=stepping,
    )
    return Machine(cfg, rep, check_invariants=True, record_events=record_events)


def ok(m: Machine, step: dict[str, Any]) -> dict[str, Any]:
    """Apply a step that must succeed."""
    res = m.apply(step)
    assert res["ok"], (step, res)
    return res


def fails(m: Machine, step: dict[str, Any]) -> dict[str, Any]:
    """Apply a step that must fail, and check it left the state byte-identical."""
    before = dump(m)
    res = m.apply(step)
    assert res["ok"] is False, (step, res)
    assert isinstance(res.get("error"), str) and res["error"]
    assert dump(m) == before, step
    return res


def alloc(m: Machine, order: int, mt: str = "Movable", zone: str = "Normal", name: str | None = None) -> int:
    step: dict[str, Any] = {"do": "alloc", "zone": zone, "order": order, "migratetype": mt}
    if name is not None:
        step["as"] = name
    return ok(m, step)["pfn"]


def free(m: Machine, pfn: int, order: int | None = None) -> None:
    step: dict[str, Any] = {"do": "free", "pfn": pfn}
    if order is not None:
        step["order"] = order
    ok(m, step)


def move(m: Machine, pfn: int, mt: str) -> None:
    ok(m, {"do": "move_pageblock", "pfn": pfn, "migratetype": mt})


def start(m: Machine) -> None:
    ok(m, {"do": "hinting_start"})


def stop(m: Machine) -> None:
    ok(m, {"do": "hinting_stop"})


def advance(m: Machine, ms: int) -> None:
    ok(m, {"do": "advance", "ms": ms})


def step(m: Machine) -> None:
    ok(m, {"do": "step"})


def fl(m: Machine, order: int, mt: str = "Movable", zone: str = "Normal") -> list[int]:
    """One free list, head to tail."""
    return m.free_list(m.zone(zone), order, MT[mt])


def lists(m: Machine, zone: str = "Normal") -> dict[tuple[int, str], list[int]]:
    """Every non-empty free list of a zone, keyed (order, migratetype)."""
    z = m.zone(zone)
    out = {}
    for order in range(m.machine_config.max_order):
        for name, mt in MT.items():
            pfns = m.free_list(z, order, mt)
            if pfns:
                out[(order, name)] = pfns
    return out


def zstate(m: Machine, zone: str = "Normal") -> dict[str, Any]:
    for z in m.state()["zones"]:
        if z["name"] == zone:
            return z
    raise KeyError(zone)


def nr_free(m: Machine, zone: str = "Normal") -> list[int]:
    return [fa["nr_free"] for fa in zstate(m, zone)["free_area"]]


def hinted(m: Machine, zone: str = "Normal") -> list[int]:
    return zstate(m, zone)["hinted"]


def reported(m: Machine, zone: str = "Normal") -> list[int]:
    return zstate(m, zone)["reported"]


def costs(m: Machine) -> dict[str, Any]:
    return m.state()["hinting"]["costs"]


def hinted_pages(m: Machine, zone: str = "Normal") -> list[int] | None:
    return zstate(m, zone)["hinted_pages"]


def flags(m: Machine, zone: str = "Normal") -> tuple[bool, bool]:
    f = zstate(m, zone)["flags"]
    return f["requested"], f["active"]


def pageblocks(m: Machine, zone: str = "Normal") -> list[str]:
    return zstate(m, zone)["pageblocks"]


def allocated(m: Machine, zone: str = "Normal") -> list[tuple[int, int, str]]:
    return [(a["pfn"], a["order"], a["migratetype"]) for a in zstate(m, zone)["allocated"]]


def boundary(m: Machine, order: int, mt: str = "Movable") -> tuple[str, int | None] | None:
    """boundary[order][mt] as (zone, pfn or None for the list head), or None while unset."""
    entry = m.state()["hinting"]["boundary"].get(str(order), {}).get(mt)
    if entry is None:
        return None
    return entry["zone"], entry["pfn"]


def hstate(m: Machine) -> dict[str, Any]:
    return m.state()["hinting"]


def work(m: Machine) -> dict[str, Any]:
    return m.state()["hinting"]["work"]


def batch(m: Machine) -> list[tuple[int, int, str]]:
    return [(b["pfn"], b["order"], b["migratetype"]) for b in m.state()["hinting"]["batch"]]


def host(m: Machine) -> dict[str, int]:
    return m.state()["host"]


def dump(m: Machine) -> str:
    return json.dumps(m.state(), sort_keys=True)


def eight_order2(m: Machine) -> list[int]:
    """On the 32-page, max_order 5 machine: allocate all eight order-2 blocks as Movable.

    Hand computation (boot list o4 Movable = [16, 0]):
      1st: o4 head 16, expand puts 24 on o3 and 20 on o2  -> 16
      2nd: o2 [20]                                         -> 20
      3rd: o3 [24], expand puts 28 on o2                   -> 24
      4th: o2 [28]                                         -> 28
      5th: o4 [0], expand puts 8 on o3 and 4 on o2         -> 0
      6th: 4; 7th: o3 [8] -> 8, expand 12 on o2; 8th: 12
    """
    got = [alloc(m, 2) for _ in range(8)]
    assert got == [16, 20, 24, 28, 0, 4, 8, 12]
    return got


def prefix_p(m: Machine) -> None:
    """The stepping prefix shared by the seed tests (golden 01's first 18 steps).

    Machine: max_order 5, pageblock_order 2, 32 pages, min_order 2, hwm 1,
    capacity 1, stepping.  Hand computation:
      allocs 16 20 24 28 0 4 8 12 (order 2)
      free 24 -> o2 [24]; free 28 -> merges 24 -> o3 [24]; free 0 -> o2 [0];
      free 8 -> o2 [8, 0] (o3 buddy of combined 8 is 0, free only at o2: head)
      hinting_start: REQUESTED, refcnt 1, work due at 100
      advance 100: fill pulls 24 (o3 tail) -> batch full -> stopped before react
      step: react -> stopped before drain
      step: put 24 (o3 [24], boundary[3][M] = 24); fill pulls 0 (o2 tail) -> react
      step: react -> drain
      step: put 0 (o2 [8, 0], boundary[2][M] = 0); fill pulls 8, the entry
            before the boundary -> stopped before react with batch [8]
    """
    for name in ("a16", "a20", "a24", "a28", "a0", "a4", "a8", "a12"):
        alloc(m, 2, name=name)
    for pfn in (24, 28, 0, 8):
        free(m, pfn)
    start(m)
    advance(m, 100)
    for _ in range(4):
        step(m)
