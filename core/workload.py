"""A seeded random alloc/free churn, as plain scenario steps.

The server's "workload" control, the benchmarks and the property tests all
drive the machine with it.  Everything it does is an ordinary step, so a
session's history stays a valid scenario and a run replays exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from .errors import StepFailed
from .machine import Machine
from .mmzone import MIGRATE_MOVABLE, MIGRATETYPE_BY_NAME, MIGRATETYPE_NAMES, ORDER_MASK
from .page_alloc import free_one_page, rmqueue
from .scenario import SCENARIO_FORMAT


class Workload:
    """Allocates and frees at random, keeping about `live_target` blocks allocated."""

    def __init__(
        self,
        seed: int = 1,
        live_target: int = 2000,
        orders: Sequence[int] = (0, 1, 2, 3),
        order_weights: Sequence[float] | None = None,
        migratetypes: Sequence[str] = ("Movable", "Unmovable", "Reclaimable"),
        mt_weights: Sequence[float] | None = (70, 20, 10),
        zone: str | None = None,
    ) -> None:
        if live_target < 1:
            raise ValueError("live_target must be >= 1")
        for name in migratetypes:
            if name not in ("Unmovable", "Movable", "Reclaimable"):
                raise ValueError(f"cannot allocate {name!r} blocks")
        self.rng = random.Random(seed)
        self.live_target = live_target
        self.orders = list(orders)
        self.order_weights = list(order_weights) if order_weights else [1.0] * len(self.orders)
        self.migratetypes = list(migratetypes)
        self.mt_weights = list(mt_weights) if mt_weights else [1.0] * len(self.migratetypes)
        self.zone = zone
        # Blocks this workload allocated and has not freed: (pfn, order).
        self.live: list[tuple[int, int]] = []

    # --- one step at a time (the server) ---------------------------------------

    def next_step(self, machine: Machine) -> dict[str, Any]:
        """The next step to apply; call `observe` with its result."""
        rng = self.rng
        live = self.live
        mem_map = machine.pgdat.mem_map
        # Forget blocks someone else freed meanwhile.
        while live:
            i = rng.randrange(len(live)) if rng.random() >= self._alloc_probability() else -1
            if i < 0:
                break
            pfn, order = live[i]
            entry = mem_map[pfn]
            live[i] = live[-1]
            live.pop()
            if entry.__class__ is int and entry & ORDER_MASK == order:
                return {"do": "free", "pfn": pfn, "order": order}
        zone = self.zone or machine.zones[-1].name
        order = rng.choices(self.orders, self.order_weights)[0]
        mt = rng.choices(self.migratetypes, self.mt_weights)[0]
        return {"do": "alloc", "zone": zone, "order": order, "migratetype": mt}

    def observe(self, step: dict[str, Any], result: dict[str, Any]) -> None:
        if step["do"] == "alloc" and result.get("ok"):
            self.live.append((result["pfn"], step["order"]))

    def _alloc_probability(self) -> float:
        # Drift toward the target: always allocate when empty, mostly free when far above.
        gap = (self.live_target - len(self.live)) / self.live_target
        return min(0.95, max(0.05, 0.5 + gap / 2))

    # --- many steps at once (benchmarks, scenario files) -------------------------

    def plan(self, machine: Machine, ops: int) -> list[tuple[bool, float, int, str]]:
        """`ops` operations drawn up front, so timing `run_plan` excludes the randomness.

        Each is (free?, pick, order, migratetype).  Whether an operation frees
        is decided on the live-set size the plan expects (every allocation
        succeeding), with the same drift toward `live_target` as `next_step`.
        """
        rnd = self.rng.random
        orders, mts = self._tables()
        live = len(self.live)
        target = self.live_target
        out = []
        for _ in range(ops):
            gap = (target - live) / target
            is_free = live > 0 and rnd() >= min(0.95, max(0.05, 0.5 + gap / 2))
            live += -1 if is_free else 1
            out.append((is_free, rnd(), orders[int(rnd() * len(orders))], mts[int(rnd() * len(mts))]))
        return out

    def run_plan(
        self,
        machine: Machine,
        plan: list[tuple[bool, float, int, str]],
        advance_every: int = 0,
        drain: Callable[[], Any] | None = None,
    ) -> int:
        """Apply a plan's alloc/free operations through the Machine API; returns how many."""
        zone = self.zone or machine.zones[-1].name
        live = self.live
        alloc, free, advance = machine.alloc, machine.free, machine.advance
        tick = 0
        for is_free, pick, order, mt in plan:
            if is_free and live:
                i = int(pick * len(live))
                pfn, block_order = live[i]
                live[i] = live[-1]
                live.pop()
                free(pfn, block_order)
            else:
                try:  # noqa: SIM105 - try is free in 3.11, contextlib.suppress is not
                    live.append((alloc(zone, order, mt), order))
                except StepFailed:
                    pass
            if advance_every:
                tick += 1
                if tick == advance_every:
                    tick = 0
                    advance(1)
                    if drain is not None:
                        drain()
        return len(plan)

    def _tables(self) -> tuple[list[int], list[str]]:
        """Weighted choices as flat lookup tables (100 slots each)."""
        def table(items: Sequence[Any], weights: Sequence[float]) -> list[Any]:
            total = sum(weights)
            out: list[Any] = []
            for item, w in zip(items, weights, strict=True):
                out.extend([item] * max(1, round(100 * w / total)))
            return out

        return table(self.orders, self.order_weights), table(self.migratetypes, self.mt_weights)

    def scenario(
        self, machine: Machine, steps: int, advance_every: int = 0, hinting: bool = True
    ) -> dict[str, Any]:
        """Run `steps` steps on `machine` and return them as a hinting-scenario/1."""
        out: list[dict[str, Any]] = []
        if hinting:
            out.append({"do": "hinting_start"})
            machine.apply(out[-1])
        while len(out) < steps:
            step = self.next_step(machine)
            out.append(step)
            self.observe(step, machine.apply(step))
            if advance_every and len(out) % advance_every == 0 and len(out) < steps:
                out.append({"do": "advance", "ms": 1})
                machine.apply(out[-1])
        return {
            "format": SCENARIO_FORMAT,
            "title": f"churn, {steps} steps",
            "machine": machine.machine_config.to_json(),
            "hinting": machine.hinting_config.to_json(),
            "steps": out,
        }


def fragment_every_other_page(machine: Machine, zone_index: int = -1) -> None:
    """Allocate every page of a zone at order 0, then free every other one.

    Goes through rmqueue and free_one_page directly (the same allocator code
    the API calls) to build the worst case for memory in reasonable time.
    """
    zone = machine.zones[zone_index]
    movable = MIGRATETYPE_BY_NAME[MIGRATETYPE_NAMES[MIGRATE_MOVABLE]]
    for _ in range(zone.spanned_pages):
        if rmqueue(zone, 0, movable) is None:
            break
    for pfn in range(zone.zone_start_pfn, zone.zone_end_pfn, 2):
        free_one_page(zone, pfn, 0, movable)
