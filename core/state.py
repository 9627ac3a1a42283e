"""The `hinting-state/1` document (FORMATS.md) of a machine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .mmzone import MIGRATE_TYPES, MIGRATETYPE_NAMES, MT_MASK, MT_SHIFT, ORDER_MASK, PG_HINTED, FreeList, Page, Zone

if TYPE_CHECKING:  # pragma: no cover
    from .machine import Machine

STATE_FORMAT = "hinting-state/1"


def zone_state(m: Machine, zone: Zone) -> dict[str, Any]:
    ph = m.hinting
    free_area = []
    hinted: list[int] = []
    for order, area in enumerate(zone.free_area):
        lists = {}
        for mt in range(MIGRATE_TYPES):
            pfns = m.free_list(zone, order, mt)
            lists[MIGRATETYPE_NAMES[mt]] = pfns
            if order >= ph.min_order:
                mem_map = m.pgdat.mem_map
                hinted.extend(p for p in pfns if mem_map[p].info & PG_HINTED)
        free_area.append({"order": order, "nr_free": area.nr_free, "free_list": lists})
    hinted.sort()
    return {
        "name": zone.name,
        "start_pfn": zone.zone_start_pfn,
        "pages": zone.spanned_pages,
        "flags": {"requested": zone.requested, "active": zone.active},
        "hinted_pages": list(zone.hinted_pages) if zone.hinted_pages is not None else None,
        "free_area": free_area,
        "hinted": hinted,
        "pageblocks": [MIGRATETYPE_NAMES[mt] for mt in zone.pageblock_mt],
        "allocated": [
            {"pfn": pfn, "order": order, "migratetype": MIGRATETYPE_NAMES[mt]}
            for pfn, order, mt in m.allocated_blocks(zone)
        ],
        # Beyond FORMATS.md: the host's view, runs of [first pfn, count] it has dropped.
        "nonresident": m.host.nonresident_runs(zone.zone_start_pfn, zone.zone_end_pfn),
    }


def boundary_state(m: Machine) -> dict[str, Any]:
    ph = m.hinting
    if ph.boundary is None:
        return {}
    out: dict[str, Any] = {}
    for i, row in enumerate(ph.boundary):
        order = ph.min_order + i
        entries = {}
        for mt in range(MIGRATE_TYPES):
            target = row[mt]
            if target is None:
                continue
            if isinstance(target, FreeList):
                entries[MIGRATETYPE_NAMES[mt]] = {"zone": target.zone.name, "pfn": None}
            else:
                entries[MIGRATETYPE_NAMES[mt]] = entry = {"zone": m.pgdat.page_zone(target).name, "pfn": target}
                page = m.pgdat.mem_map[target]  # beyond FORMATS.md: the block left this list (views mark, not derive)
                if page.__class__ is not Page or page.prev is None or page.info & (ORDER_MASK | MT_MASK << MT_SHIFT) \
                        != order | mt << MT_SHIFT:
                    entry["stale"] = True
        out[str(order)] = entries
    return out


def work_state(m: Machine) -> dict[str, Any]:
    work = m.phdev.work
    zone = m.hinting.cycling_zone
    if work is None:
        return {"pending": False, "due_ms": None, "phase": "idle", "zone": None}
    running = work.running is not None
    return {
        "pending": work.pending,
        "due_ms": work.due_ms if work.pending else None,
        "phase": work.phase if running else "idle",
        "zone": zone.name if (running and zone is not None) else None,
    }


def batch_state(m: Machine) -> list[dict[str, Any]]:
    sg = m.phdev.sg or []
    return [
        {
            "pfn": page.pfn,
            "order": page.info & ORDER_MASK,
            "migratetype": MIGRATETYPE_NAMES[(page.info >> MT_SHIFT) & MT_MASK],
        }
        for page in sg
    ]


def machine_state(m: Machine) -> dict[str, Any]:
    from .anomalies import detect_anomalies

    cfg = m.hinting_config
    return {
        "format": STATE_FORMAT,
        "now_ms": m.clock.now_ms,
        "config": {
            "max_order": m.pgdat.max_order,
            "pageblock_order": m.pgdat.pageblock_order,
            "hinting": {
                "design": cfg.design,
                "min_order": cfg.min_order,
                "hwm": cfg.hwm,
                "capacity": cfg.capacity,
                "delay_ms": cfg.delay_ms,
                "stepping": m.stepping,
            },
        },
        "zones": [zone_state(m, zone) for zone in m.pgdat.node_zones],
        "hinting": {
            "design": cfg.design,
            "enabled": m.hinting.ph_dev_info is not None,
            "refcnt": m.phdev.refcnt,
            "work": work_state(m),
            "batch": batch_state(m),
            "boundary": boundary_state(m),
        },
        "host": m.host.figures(),
        "anomalies": detect_anomalies(m),
    }
