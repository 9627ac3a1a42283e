"""Where the seed breaks its own claims: named anomalies, reported and never fixed.

Two kinds exist.  *Conditions* are states of the lists that contradict the
seed's commit message or comments; `detect_anomalies` finds those present
now (it walks the lists at orders >= min_order, which are short).
*Incidents* happen at one moment (a hinted block merging, a stale boundary
being used); the code that sees them records them as "anomaly" events, and
events.py describes them.  Every anomaly names the seed function and lines
that led to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .mmzone import MIGRATE_TYPES, MIGRATETYPE_NAMES, MT_MASK, MT_SHIFT, ORDER_MASK, PG_HINTED, Page
from .seedref import seed_lines

if TYPE_CHECKING:  # pragma: no cover
    from .machine import Machine

# Three kinds are guards: by the seed's own bookkeeping they cannot happen, and
# 160,000 random runs never produced them (tests/core/test_tours.py keeps the
# argument).  refcnt always equals the number of REQUESTED zones, so the
# process loop cannot spin; while ACTIVE, every block behind a boundary got
# there Hinted through put_hinted_page and any way out of the list goes
# through clear_page_hinted, which pushes the boundary on; and boundaries are
# reset before ACTIVE is set, so a stale one is never followed.  The model
# still checks, so a future change that makes them possible is reported.
GUARD_KINDS = frozenset({"process_spins", "unhinted_behind_boundary", "stale_boundary_used"})

# kind -> (seed function, seed line anchor, what the seed claims)
ANOMALY_KINDS: dict[str, tuple[str, str, str]] = {
    "hinted_not_at_tail": (
        "add_to_free_list_tail",
        "add_to_free_list_tail",
        "the commit message promises the hinted blocks stay one contiguous run at the tail "
        "of each list; with ACTIVE off, get_unhinted_tail() hands out the real tail, so a "
        "tail free lands behind them",
    ),
    "unhinted_behind_boundary": (
        "get_unhinted_page",
        "get_unhinted_page: try the head",
        "a block is meant to cross the boundary only by being hinted; this unhinted block sits "
        "behind the boundary and this cycle will not pull it",
    ),
    "stale_boundary": (
        "clear_page_hinted",
        "clear_page_hinted",
        "the boundary points at a block that is no longer on that list (the boundary is only "
        "pushed back while ACTIVE is set); dangerous once ACTIVE is set again",
    ),
    "stale_boundary_used": (
        "get_unhinted_tail",
        "get_unhinted_tail",
        "ACTIVE is set and the boundary points at a block no longer on that list: the kernel "
        "would follow a poisoned or foreign list pointer here; the model used the list head",
    ),
    "hint_lost_on_merge": (
        "put_hinted_page",
        "put_hinted_page: merged",
        "a reported block merged with a free buddy and lost its Hinted state: it must be reported again",
    ),
    "hinted_buddy_merged": (
        "del_page_from_free_list",
        "del_page_from_free_list",
        "a Hinted block was swallowed by a merge: its report is wasted and the merged block must be reported again",
    ),
    "notify_skipped_after_merge": (
        "__free_one_page",
        "__free_one_page: tail or head",
        "the seed skips page_hinting_notify_free for blocks coming back from the device, "
        "saying the unhinted count cannot have grown; this merge grew it past the high-water mark",
    ),
    "process_spins": (
        "page_hinting_process",
        "page_hinting_process",
        "refcnt is not zero but no zone is REQUESTED: the C loop would spin for ever",
    ),
}


def anomaly(
    kind: str, zone: str | None, order: int | None, mt: int | None, pfn: int | None, message: str, **extra: Any
) -> dict[str, Any]:
    fn, anchor, claim = ANOMALY_KINDS[kind]
    out: dict[str, Any] = {
        "kind": kind,
        "zone": zone,
        "order": order,
        "migratetype": MIGRATETYPE_NAMES[mt] if mt is not None else None,
        "pfn": pfn,
        "message": message,
        "claim": claim,
        "seed_fn": fn,
        "seed_lines": seed_lines(anchor),
    }
    out.update(extra)
    return out


def detect_anomalies(m: Machine) -> list[dict[str, Any]]:
    """The anomaly conditions present in the machine now, in a stable order."""
    ph = m.hinting
    pgdat = m.pgdat
    out: list[dict[str, Any]] = []
    for zone in pgdat.node_zones:
        for order in range(ph.min_order, pgdat.max_order):
            for mt in range(MIGRATE_TYPES):
                head = zone.free_area[order].free_list[mt]
                first_hinted = None
                node = head.next
                while node is not head:
                    if node.info & PG_HINTED:  # type: ignore[union-attr]
                        if first_hinted is None:
                            first_hinted = node.pfn  # type: ignore[union-attr]
                    elif first_hinted is not None:
                        out.append(
                            anomaly(
                                "hinted_not_at_tail",
                                zone.name,
                                order,
                                mt,
                                node.pfn,  # type: ignore[union-attr]
                                f"{node.pfn} (unhinted) sits behind Hinted {first_hinted} on "  # type: ignore[union-attr]
                                f"{MIGRATETYPE_NAMES[mt]} order {order}",
                            )
                        )
                        break
                    node = node.next  # type: ignore[union-attr]
    if ph.boundary is not None:
        for i, row in enumerate(ph.boundary):
            order = ph.min_order + i
            for mt in range(MIGRATE_TYPES):
                target = row[mt]
                if target is None or target.__class__ is not int:
                    continue
                out.extend(_boundary_anomalies(m, order, mt, target))  # type: ignore[arg-type]
    return out


def _boundary_anomalies(m: Machine, order: int, mt: int, pfn: int) -> list[dict[str, Any]]:
    pgdat = m.pgdat
    zone = pgdat.page_zone(pfn)
    node = pgdat.mem_map[pfn]
    on_list = (
        node.__class__ is Page
        and node.prev is not None
        and node.info & ORDER_MASK == order
        and (node.info >> MT_SHIFT) & MT_MASK == mt
    )
    name = MIGRATETYPE_NAMES[mt]
    if not on_list:
        return [
            anomaly(
                "stale_boundary",
                zone.name,
                order,
                mt,
                pfn,
                f"boundary[{order}][{name}] points at {pfn}, which is {_where(m, pfn)}"
                + (" while ACTIVE is set" if zone.active else ""),
                dangerous=zone.active,
            )
        ]
    if not zone.active:
        return []
    head = zone.free_area[order].free_list[mt]
    while node is not head:
        if not node.info & PG_HINTED:
            return [
                anomaly(
                    "unhinted_behind_boundary",
                    zone.name,
                    order,
                    mt,
                    node.pfn,
                    f"{node.pfn} is unhinted but behind boundary[{order}][{name}] at {pfn}",
                )
            ]
        node = node.next
    return []


def _where(m: Machine, pfn: int) -> str:
    entry = m.pgdat.mem_map[pfn]
    if entry is None:
        return "now inside a larger block"
    if entry.__class__ is int:
        return "allocated"
    if entry.prev is None:
        return "in the hinting batch"
    return f"on {MIGRATETYPE_NAMES[(entry.info >> MT_SHIFT) & MT_MASK]} order {entry.info & ORDER_MASK} instead"
