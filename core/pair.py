"""Two designs on one scenario, in lockstep: the seed on the left, free page reporting on the right.

The review of the seed was an argument between two designs about the same
allocator; compare mode shows both machines side by side while one user
drives them.  A `PairTimeline` holds one `Timeline` per side and answers as a
single one (the interface app/sessions.py uses): one step counter, one
history, one cursor, travel, undo and branches on both at once, so the two
sides can never drift apart in what was done to them.

The history is the left side's (the steps the user gave, exactly as a single
session records them).  Every step goes to both machines; a `free` by pfn is
translated for the right side, because the two designs leave their free
lists in different orders and the same allocation can return a different
block on each side.  The translation follows the allocations: a block that
both sides allocated at the same step is the same block, whatever its pfn on
each side.  Frees by scenario name (`ref`) need no translation (each machine
binds its own names).  A step one side refuses is recorded refused there
only.

`pair_scenarios` derives the two sides' scenarios from one document, as
`python -m core compare` does: the `hinting` fields the document gives apply
to each design that has them, the rest take each design's defaults.

A bounded series of samples (`Samples`) records, per side, what the
dashboard charts over virtual time: the costs of costs.py, NR_FREE_PAGES
beside the pages on the free lists, the batch and the marked share.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from .config import parse_hinting
from .costs import Costs
from .errors import InvalidInput
from .machine import Machine
from .mmzone import page_order
from .scenario import Scenario
from .timeline import Branch, Timeline

SIDES = ("left", "right")
PAIR_DESIGNS = {"left": "seed", "right": "reporting"}
MAX_SAMPLES = 2048  # per side, thinned by half when full (the newest is always kept)
# What a sample holds, in order (docs/formats-extensions.md, "compare mode").
SAMPLE_FIELDS = ("pos", "t_ms", "entries", "blocks", "holds", "longest_entries", "longest_pages", "batches",
                 "pages_reported", "wasted", "refaults", "marked_pages", "nr_free_pages", "on_lists", "batch_pages",
                 "drift")


def compare_flag(scenario: Scenario) -> bool:
    """The scenario's top-level `"compare"` (FORMATS.md allows extra fields); InvalidInput if not a bool."""
    value = scenario.extra.get("compare", False)
    if not isinstance(value, bool):
        raise InvalidInput("must be true or false", "compare")
    return value


def given_hinting(scenario: Scenario) -> dict[str, Any]:
    """The `hinting` fields the scenario's document gave (its parsed config when it was built in code)."""
    if scenario.raw_hinting is not None:
        return dict(scenario.raw_hinting)
    return scenario.hinting.to_json()


def side_scenario(scenario: Scenario, design: str) -> Scenario:
    """The scenario under `design`: the fields it gives that the design has, each design's defaults for the rest."""
    given = {k: v for k, v in given_hinting(scenario).items() if k != "design"}
    try:
        config = parse_hinting({**given, "design": design}, scenario.machine)
    except InvalidInput as err:
        err.message = f"{err.message} (under the {design} design)"
        raise
    return dataclasses.replace(scenario, hinting=config)


def pair_scenarios(scenario: Scenario) -> dict[str, Scenario]:
    return {side: side_scenario(scenario, design) for side, design in PAIR_DESIGNS.items()}


def design_costs(machine: Machine) -> Costs:
    """The running costs of a machine's design (each design keeps them on its kernel-side object)."""
    design: Any = machine.design
    owner = getattr(design, "pr", None) or getattr(design, "ph", None)
    return owner.costs  # type: ignore[no-any-return, union-attr]


def sample(machine: Machine, pos: int) -> list[int]:
    """One point of the charts for one side (SAMPLE_FIELDS)."""
    costs = design_costs(machine)
    nr_free = on_lists = drift = 0
    design = machine.design
    for zone in machine.zones:
        nr_free += zone.nr_free_pages
        drift += design.nr_free_pages_drift(zone)
        for order, area in enumerate(zone.free_area):
            on_lists += area.nr_free << order
    batch = sum(1 << page_order(p) for p in machine.design.batch())
    marked = costs.share[-1][1] if costs.share else 0
    hold_max = costs.hold_max
    return [pos, machine.now_ms, costs.entries, costs.blocks_reported, costs.holds, hold_max[1], hold_max[5],
            costs.batches, costs.pages_reported, sum(costs.wasted), machine.host.refaults, marked, nr_free,
            on_lists, batch, drift]


class Samples:
    """Per side, a bounded series of samples by history position; cut back when the history forks."""

    def __init__(self) -> None:
        self.series: dict[str, list[list[int]]] = {side: [] for side in SIDES}
        self.fresh: dict[str, list[list[int]]] = {side: [] for side in SIDES}  # not yet sent to viewers

    def add(self, machines: dict[str, Machine], pos: int) -> None:
        for side in SIDES:
            point = sample(machines[side], pos)
            series = self.series[side]
            if series and series[-1][0] == pos:  # a grown advance: the same position, newer figures
                series[-1] = point
            else:
                if len(series) >= MAX_SAMPLES:
                    last = series[-1]
                    series[:] = [*series[:-1:2], last]
                series.append(point)
            fresh = self.fresh[side]
            if fresh and fresh[-1][0] == pos:
                fresh[-1] = point
            else:
                fresh.append(point)

    def cut(self, pos: int) -> None:
        """Forget the samples after position `pos` (the history forked or was undone there)."""
        for side in SIDES:
            self.series[side] = [s for s in self.series[side] if s[0] <= pos]
            self.fresh[side] = [s for s in self.fresh[side] if s[0] <= pos]

    def take_fresh(self, most: int) -> dict[str, list[list[int]]]:
        """The samples since the last call, at most `most` a side (evenly thinned; the newest kept)."""
        out = {}
        for side in SIDES:
            fresh = self.fresh[side]
            if len(fresh) > most:
                step = len(fresh) / most
                fresh = [fresh[int(i * step)] for i in range(most - 1)] + [fresh[-1]]
            out[side] = fresh
            self.fresh[side] = []
        return out

    def to_json(self, most: int = 512) -> dict[str, Any]:
        """The whole series, at most `most` points a side (a snapshot's)."""
        out: dict[str, Any] = {"fields": list(SAMPLE_FIELDS)}
        for side in SIDES:
            series = self.series[side]
            if len(series) > most:
                step = len(series) / most
                series = [series[int(i * step)] for i in range(most - 1)] + [series[-1]]
            out[side] = [list(s) for s in series]
        return out


class PairTimeline:
    """Two timelines in lockstep, answering as one (the parts of `Timeline` a session uses)."""

    def __init__(self, scenario: Scenario, record_events: bool = True, checkpoint_every: int = 200,
                 max_checkpoints: int = 48) -> None:
        self.scenario = scenario
        scenarios = pair_scenarios(scenario)
        empty = {side: dataclasses.replace(s, steps=[]) for side, s in scenarios.items()}
        self.sides: dict[str, Timeline] = {
            side: Timeline(empty[side], record_events=record_events, checkpoint_every=checkpoint_every,
                           max_checkpoints=max_checkpoints)
            for side in SIDES
        }
        self.samples = Samples()
        self._map: dict[int, int] | None = {}  # left pfn -> right pfn of blocks both sides hold allocated
        self._sample_all()
        for step in scenario.steps:
            self.apply(step)

    # --- the Timeline interface -----------------------------------------------------

    @property
    def left(self) -> Timeline:
        return self.sides["left"]

    @property
    def right(self) -> Timeline:
        return self.sides["right"]

    @property
    def machine(self) -> Machine:
        return self.left.machine

    @property
    def machines(self) -> dict[str, Machine]:
        return {side: tl.machine for side, tl in self.sides.items()}

    @property
    def cursor(self) -> int:
        return self.left.cursor

    @property
    def history(self) -> list[dict[str, Any]]:
        return self.left.history

    @property
    def results(self) -> list[dict[str, Any]]:
        return self.left.results

    @property
    def checkpoints(self) -> dict[int, Machine]:
        return self.left.checkpoints

    @property
    def branches(self) -> list[Branch]:
        return self.left.branches

    @property
    def at_end(self) -> bool:
        return self.left.at_end

    @property
    def floor(self) -> int:
        return self.left.floor

    @floor.setter
    def floor(self, value: int) -> None:
        for tl in self.sides.values():
            tl.floor = value

    def apply(self, step: dict[str, Any]) -> dict[str, Any]:
        """Apply a step to both sides; the left's result, with the right's under "right"."""
        forking = not self.at_end
        if forking:
            self.samples.cut(self.cursor)
        mapping = self._mapping()
        right_step = self.translate(step, mapping)
        left = self.left.apply(step)
        right = self.right.apply(right_step)
        self._follow(step, left, right, mapping)
        self._sample_all()
        return {**left, "right": right} if left != right else dict(left)

    def extend_last_advance(self, ms: int) -> dict[str, Any]:
        merged = self.left.extend_last_advance(ms)
        self.right.extend_last_advance(ms)
        self._sample_all()
        return merged

    def travel(self, position: int) -> int:
        replayed = 0
        for tl in self.sides.values():
            replayed += tl.travel(position)
        self._map = None
        return replayed

    def undo_target(self) -> int | None:
        """The last step before the cursor, past the start, that either side did not refuse."""
        target = self.cursor - 1
        while target >= self.floor and not (self.left.results[target].get("ok", True) or
                                             self.right.results[target].get("ok", True)):
            target -= 1
        return target if target >= self.floor else None

    def undo(self) -> dict[str, Any]:
        target = self.undo_target()
        if target is None:
            from .timeline import NOTHING_TO_UNDO

            raise ValueError(NOTHING_TO_UNDO)
        undone = self.history[target]
        for tl in self.sides.values():
            tl.truncate(target)
        self.samples.cut(target)
        self._map = None
        return undone

    def switch(self, branch_id: int) -> None:
        for tl in self.sides.values():
            tl.switch(branch_id)
        self._map = None
        self.samples.cut(min(b.fork_at for b in self.left.branches) if self.left.branches else self.cursor)
        self._resample()

    def discard(self, branch_id: int) -> None:
        for tl in self.sides.values():
            tl.discard(branch_id)

    def summary(self) -> dict[str, Any]:
        return self.left.summary()

    def states(self, start: int, stop: int) -> Iterator[dict[str, Any]]:
        return self.left.states(start, stop)

    # --- translating frees --------------------------------------------------------------

    def translate(self, step: dict[str, Any], mapping: dict[int, int] | None = None) -> dict[str, Any]:
        """The right side's version of a (left) step: a free by pfn names the right side's block."""
        if step.get("do") != "free" or "pfn" not in step:
            return step
        mapping = self._mapping() if mapping is None else mapping
        pfn = mapping.get(step["pfn"])
        return step if pfn is None or pfn == step["pfn"] else {**step, "pfn": pfn}

    def left_pfn(self, right_pfn: int) -> int:
        """The left side's block for a block the right side holds allocated (itself when the sides agree)."""
        for left, right in self._mapping().items():
            if right == right_pfn:
                return left
        return right_pfn

    def _follow(self, step: dict[str, Any], left: dict[str, Any], right: dict[str, Any],
                mapping: dict[int, int]) -> None:
        kind = step.get("do")
        if kind == "alloc" and left.get("ok") and right.get("ok"):
            mapping[left["pfn"]] = right["pfn"]
        elif kind == "alloc" and left.get("ok"):
            mapping.pop(left["pfn"], None)
        elif kind == "free" and "pfn" in step and left.get("ok"):
            mapping.pop(step["pfn"], None)

    def _mapping(self) -> dict[int, int]:
        """The allocation correspondence at the cursor (rebuilt from both histories after travel)."""
        if self._map is None:
            mapping: dict[int, int] = {}
            lres, rres = self.left.results, self.right.results
            for i in range(self.cursor):
                self._follow(self.left.history[i], lres[i], rres[i], mapping)
            self._map = mapping
        return self._map

    # --- samples ---------------------------------------------------------------------------

    def _sample_all(self) -> None:
        self.samples.add(self.machines, self.cursor)

    def _resample(self) -> None:
        """After a branch switch: the live machines' figures at the cursor (the series before it stay)."""
        self._sample_all()


def is_pair(timeline: Any) -> bool:
    return isinstance(timeline, PairTimeline)
