"""The `hinting-state/1` document (FORMATS.md) of a machine.

The allocator's part of each zone is built here; the design's part (its
flags, counts and list of marked blocks) and the state's "hinting" object
come from the live design (design.py), so this module knows no design.

Beyond FORMATS.md, each zone carries `batch_pages`, the pages of its blocks
that the design holds off the free lists (a batch out: free memory that
NR_FREE_PAGES and the lists do not show), `nonresident`, the host's view,
and `page_repr`, what struct page says under each encoding of the design's
mark (core/page_repr.py; docs/formats-extensions.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .mmzone import MIGRATE_TYPES, MIGRATETYPE_NAMES, Zone, page_order
from .page_repr import zone_summary

if TYPE_CHECKING:  # pragma: no cover
    from .machine import Machine

STATE_FORMAT = "hinting-state/1"


def batch_pages(m: Machine, zone: Zone) -> int:
    """Pages of the zone's blocks in the design's batch."""
    return sum(1 << page_order(page) for page in m.design.batch() if zone.zone_spans_pfn(page.pfn))


def small_zone_fields(m: Machine, zone: Zone) -> dict[str, Any]:
    """The allocator's small per-zone fields, which deltas send whole when they change.

    `page_repr` is page_repr.zone_summary: per encoding of PAGE-REPRESENTATION.md,
    the page flag writes so far, the free pages makedumpfile would write out and
    the free pages that read as PageOffline (docs/formats-extensions.md).
    """
    batch = batch_pages(m, zone)
    return {"nr_free_pages": zone.nr_free_pages, "batch_pages": batch, "page_repr": zone_summary(m, zone, batch)}


def zone_state(m: Machine, zone: Zone) -> dict[str, Any]:
    design = m.design
    free_area = []
    for order, area in enumerate(zone.free_area):
        lists = {MIGRATETYPE_NAMES[mt]: m.free_list(zone, order, mt) for mt in range(MIGRATE_TYPES)}
        free_area.append({"order": order, "nr_free": area.nr_free, "free_list": lists})
    out: dict[str, Any] = {
        "name": zone.name,
        "start_pfn": zone.zone_start_pfn,
        "pages": zone.spanned_pages,
    }
    out.update(small_zone_fields(m, zone))
    out.update(design.zone_state(zone))
    out["free_area"] = free_area
    out[design.marked_field] = design.marked_pfns(zone)
    out["pageblocks"] = [MIGRATETYPE_NAMES[mt] for mt in zone.pageblock_mt]
    out["allocated"] = [
        {"pfn": pfn, "order": order, "migratetype": MIGRATETYPE_NAMES[mt]}
        for pfn, order, mt in m.allocated_blocks(zone)
    ]
    out["nonresident"] = m.host.nonresident_runs(zone.zone_start_pfn, zone.zone_end_pfn)
    return out


def config_state(m: Machine) -> dict[str, Any]:
    """The state's `config`: the machine, and the design's configuration with the current stepping mode."""
    hinting = m.hinting_config.to_json()
    hinting["stepping"] = m.stepping
    return {"max_order": m.pgdat.max_order, "pageblock_order": m.pgdat.pageblock_order, "hinting": hinting}


def machine_state(m: Machine) -> dict[str, Any]:
    from .anomalies import detect_anomalies

    return {
        "format": STATE_FORMAT,
        "now_ms": m.clock.now_ms,
        "config": config_state(m),
        "zones": [zone_state(m, zone) for zone in m.pgdat.node_zones],
        "hinting": m.design.state(),
        "host": m.host.figures(),
        "anomalies": detect_anomalies(m),
    }
