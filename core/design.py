"""The seam between the allocator and a hinting design (ARCHITECTURE.md).

Everything design-specific goes through one object, the live design, a
`HintingDesign`.  It has two faces:

* Down (what the allocator calls): the `FreeListHooks` of mmzone.py.  The
  allocator calls them when a marked page leaves or moves a list, for a tail
  insert and after a free; it never tests a design's flag and never calls the
  host.  The design decides what each means for its flag, its counters and
  the host.
* Up (what the rest of the core reads): `state()`, the state's "hinting"
  object; `zone_state()`, its per-zone fields; `marked_pfns()` and
  `marked_field`, the zone's list of marked blocks; `batch()`, the blocks it
  holds off the lists; `nr_free_pages_drift()`, what it did to NR_FREE_PAGES
  for good; `invariant_problems()`; `anomalies()`; `copy_into()`, for
  checkpoints.  state.py, delta.py, invariants.py, anomalies.py and
  Machine.clone call only these.

A design also runs the steps that are its business: `start()` and `stop()`
(hinting_start, hinting_stop), and its delayed `work` (a workqueue.DelayedWork
whose function yields the design's stopping points), which the machine
drives in auto or stepping mode.

Adding a design: docs/designs.md says what to write; designs.py is where it
is registered.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from .mmzone import DESIGN_MARK, FreeListHooks, Page, PageBuddy, PageMarked, PglistData, Zone

if TYPE_CHECKING:  # pragma: no cover
    from .config import MachineConfig
    from .host import Host
    from .trace import EventKind
    from .workqueue import Clock, DelayedWork, WorkPhase


class DesignConfig(Protocol):
    """What every design's configuration has (each design has its own frozen dataclass)."""

    design: ClassVar[str]  # the name the design is registered under

    @property
    def min_order(self) -> int: ...

    @property
    def capacity(self) -> int: ...

    @property
    def delay_ms(self) -> int: ...

    @property
    def stepping(self) -> bool: ...

    def to_json(self) -> dict[str, Any]: ...


class HintingDesign(FreeListHooks, ABC):
    """One hinting design, live on one machine."""

    name: ClassVar[str]  # its scenario name: "hinting": {"design": name}
    mark_name: ClassVar[str]  # what the design mark means, in words ("Hinted")
    marked_field: ClassVar[str]  # the zone field listing marked blocks ("hinted")
    stop_phases: ClassVar[frozenset[WorkPhase]]  # where its work stops in stepping mode
    work_start_event: ClassVar[EventKind]  # recorded when the machine starts the work
    work_stop_event: ClassVar[EventKind]  # recorded when the work stops at a stopping point
    # How the design's own kernel writes struct page (core/page_repr.py): the encoding of its mark
    # in PAGE-REPRESENTATION.md's table, if it is one of them, and whether a block it holds in its
    # batch keeps its order in page->private (the seed's get_unhinted_page sets it again; v5.7's
    # del_page_from_free_list leaves it 0).
    page_encoding: ClassVar[str | None] = None
    batch_keeps_order: ClassVar[bool] = False

    def __init__(self, pgdat: PglistData, clock: Clock, host: Host, config: DesignConfig) -> None:
        self.pgdat = pgdat
        self.clock = clock
        self.host = host
        self.config = config
        # The design's delayed work item, which the machine drives in auto or stepping mode
        # (an attribute, not a property: the machine reads it on every advance).
        self.work: DelayedWork | None = None

    # --- configuration ------------------------------------------------------------

    @classmethod
    @abstractmethod
    def default_config(cls, machine: MachineConfig) -> DesignConfig:
        """The configuration of a scenario that gives none."""

    @classmethod
    @abstractmethod
    def parse_config(cls, obj: dict[str, Any], machine: MachineConfig, path: str) -> DesignConfig:
        """The design's configuration from a scenario's "hinting" object; InvalidInput names the field."""

    # --- steps ------------------------------------------------------------------------

    @abstractmethod
    def start(self) -> None:
        """hinting_start; raises HintingBusy (a failed step) when it is on already."""

    @abstractmethod
    def stop(self) -> None:
        """hinting_stop; a successful no-op when it is off."""

    def work_zone(self) -> Zone | None:
        """The zone the work is on while it runs or is stopped."""
        return None

    # --- the read side ----------------------------------------------------------------

    @abstractmethod
    def state(self) -> dict[str, Any]:
        """The state's "hinting" object (FORMATS.md), built here and nowhere else."""

    @abstractmethod
    def zone_state(self, zone: Zone) -> dict[str, Any]:
        """The design's small per-zone fields (deltas send them whole when they change)."""

    def marked_pfns(self, zone: Zone) -> list[int]:
        """The zone's marked free blocks, ascending: the `marked_field` of its state."""
        out: list[int] = []
        for area in zone.free_area:
            for head in area.free_list:
                node = head.next
                while type(node) is Page:
                    if node.info & DESIGN_MARK:
                        out.append(node.pfn)
                    node = node.next
        out.sort()
        return out

    def is_marked(self, entry: Page | int | None) -> bool:
        """Does this mem_map entry head a marked free block?"""
        return type(entry) is Page and PageBuddy(entry) and PageMarked(entry)

    @abstractmethod
    def batch(self) -> list[Page]:
        """The blocks the design holds off the free lists now, in its order."""

    def nr_free_pages_drift(self, zone: Zone) -> int:
        """Pages by which the design moved NR_FREE_PAGES away from the lists for good (invariants.py)."""
        return 0

    @abstractmethod
    def invariant_problems(self) -> list[str]:
        """The design's own "must never" rules that do not hold now."""

    @abstractmethod
    def anomalies(self) -> list[dict[str, Any]]:
        """The design's anomaly conditions present now (anomalies.py)."""

    @abstractmethod
    def copy_into(self, other: Any, pgdat: PglistData) -> None:
        """Make `other`, a fresh design of the same kind on the copy `pgdat`, equal to this one.

        Called between work runs only (Machine.cloneable); list heads of this
        machine must be mapped to `pgdat`'s (`same_list_head`).
        """


def marked_on_lists(zone: Zone, min_order: int, max_order: int) -> list[int]:
    """Sorted pfns of the blocks on the zone's free lists that carry the design mark, from min_order up.

    Both designs keep their mark (the seed's Hinted, 5.7's Reported) in the one DESIGN_MARK bit and mark
    only from their min_order, so one walk serves both state sections.
    """
    out: list[int] = []
    for order in range(min_order, max_order):
        for head in zone.free_area[order].free_list:
            node = head.next
            while type(node) is Page:
                if PageMarked(node):
                    out.append(node.pfn)
                node = node.next
    out.sort()
    return out


def same_list_head(pgdat: PglistData, head: Any) -> Any:
    """The list head of `pgdat` at the place of another machine's list head `head` (a FreeList)."""
    return pgdat.node_zones[head.zone.idx].free_area[head.order].free_list[head.migratetype]
