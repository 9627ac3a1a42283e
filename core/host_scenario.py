""""Simulate this machine": a scenario as close to a real host's free memory as the model allows.

The rules (docs/live-host.md says the same to users, and each scenario
lists the approximations it made in `notes`):

* zones: every zone with pages, ordered by node then start pfn; zones of
  nodes above 0 are named "Normal-N1" and so on (the model has one node);
* sizes: each zone spans its real pfns rounded outwards to multiples of
  2^(max_order-1) pages (the model's rule), the zones laid end to end from
  pfn 0 (so a gap between real zones closes up and later pfns shift down by
  a multiple of 2^(max_order-1), which keeps every block's alignment);
* when the machine is larger than the limit it is given, every zone, free
  count and pageblock count is scaled by the same factor (rounded down, at
  least one max-order block per zone), and explicit pfns are not used;
* max_order: the number of order columns of buddyinfo (11 on x86-64);
  pageblock_order from pagetypeinfo ("Page block order"), else 9;
* free blocks: counts per migratetype and order from pagetypeinfo (else
  buddyinfo's, as Movable); with a map read from /proc/kpageflags (and no
  scaling) the real free blocks at their real pfns instead, each order's
  blocks given migratetypes in pagetypeinfo's proportions, Unmovable first
  from the lowest pfn; migratetypes the model does not have are folded in:
  CMA into Movable, pre-4.4 "Reserve" into HighAtomic, Isolate into Movable
  for explicit pfns (the pageblock layout is a guess, see below);
* pageblocks: pagetypeinfo's counts per migratetype, laid out by the
  initial-state rule (from the zone's first pageblock up, Movable the rest);
* everything else is allocated (the initial-state filler);
* hinting: the design the host runs when the core models it (free page
  reporting when `page_reporting_order` is there, with that order as
  min_order), else the seed's; per-cpu lists, watermarks, CMA, NUMA and
  the host's own balloon are not modelled.
"""

from __future__ import annotations

from typing import Any

from .config import DEFAULT_MAX_ORDER, DEFAULT_MAX_PAGES
from .designs import DESIGNS
from .mmzone import MIGRATETYPE_NAMES
from .procfs import Pagetypeinfo
from .scenario import SCENARIO_FORMAT

FOLD = {"CMA": "Movable", "Reserve": "HighAtomic"}


def _fold(mt: str, notes: set[str]) -> str | None:
    if mt in MIGRATETYPE_NAMES:
        return mt
    if mt in FOLD:
        notes.add(f"the {mt} migratetype is not in the model: its blocks are counted as {FOLD[mt]}")
        return FOLD[mt]
    notes.add(f"the unknown migratetype {mt!r} is counted as Movable")
    return "Movable"


def host_zones(host: dict[str, Any]) -> list[dict[str, Any]]:
    """Zones with pages: node, name, start_pfn, spanned, from zoneinfo (buddyinfo fills gaps)."""
    out = []
    for z in host.get("zoneinfo") or []:
        spanned = z.get("spanned") or 0
        if spanned <= 0:
            continue
        out.append({"node": z.node, "zone": z.zone, "start_pfn": z.get("start_pfn"), "spanned": spanned,
                    "present": z.get("present"), "managed": z.get("managed"), "free": z.get("free"),
                    "min": z.get("min"), "low": z.get("low"), "high": z.get("high"),
                    "nr_free_pages": z.get("nr_free_pages")})
    return out


def simulate_host(host: dict[str, Any], *, max_pages: int = DEFAULT_MAX_PAGES,
                  free_blocks: dict[tuple[int, str], list[tuple[int, int, bool]]] | None = None,
                  max_order: int | None = None) -> dict[str, Any]:
    """The scenario for a `procfs.read_host` result; `free_blocks[(node, zone)]` from kpageflags if read."""
    notes: set[str] = set()
    buddy = {(b.node, b.zone): b.nr_free for b in host.get("buddyinfo") or []}
    pti: Pagetypeinfo | None = host.get("pagetypeinfo")
    if max_order is None:
        widths = [len(v) for v in buddy.values()]
        max_order = max(widths) if widths else DEFAULT_MAX_ORDER
        max_order = min(max(max_order, 2), 15)
    block = 1 << (max_order - 1)
    pageblock_order = pti.pageblock_order if pti and pti.pageblock_order is not None else 9
    if pageblock_order >= max_order:
        notes.add(f"pageblock_order {pageblock_order} is not below max_order {max_order}: using {max_order - 1}")
        pageblock_order = max_order - 1

    zones = host_zones(host)
    if not zones:  # no zoneinfo: buddyinfo's zones, sized from their free pages
        notes.add("no zone spans were readable (/proc/zoneinfo): each zone is sized to hold its free blocks twice")
        for (node, name), counts in buddy.items():
            pages = 2 * sum(n << o for o, n in enumerate(counts))
            zones.append({"node": node, "zone": name, "start_pfn": None, "spanned": max(pages, block)})
    if not zones:
        from .errors import InvalidInput

        why = "; ".join(f"{name}: {src.why}" for name, src in host.get("sources", {}).items()
                        if name in ("zoneinfo", "buddyinfo") and src.why)
        raise InvalidInput(f"there is nothing to simulate: no zone could be read ({why or 'no zones'})", "host")
    # zoneinfo lists zones in node and pfn order; a zone without start_pfn (before 4.x) follows the one before.
    end = 0
    for z in zones:
        if z["start_pfn"] is None:
            z["start_pfn"] = end
        end = z["start_pfn"] + z["spanned"]
    if any(z["node"] for z in zones):
        notes.add("the model has one node: the zones of every node are laid end to end")

    # spans rounded outwards to max-order blocks
    spans = []
    for z in zones:
        start = z["start_pfn"] if z["start_pfn"] is not None else 0
        lo = start // block * block
        hi = -(-(start + z["spanned"]) // block) * block
        spans.append((lo, hi - lo))
        if lo != start or hi != start + z["spanned"]:
            notes.add(f"zone sizes are rounded out to multiples of {block} pages (2^(max_order-1)), e.g. "
                      f"{z['zone']} spans {z['spanned']} pages from pfn {start}, simulated as {hi - lo} from {lo}")
    total = sum(p for _, p in spans)
    scale = 1.0
    if total > max_pages:
        scale = max_pages / total
        notes.add(f"the machine has {total} pages, more than the {max_pages} allowed here: every zone, free count "
                  f"and pageblock count is scaled by {scale:.4f}, and real pfns are not used")

    model_zones = []
    used_names: set[str] = set()
    at = 0
    for z, (lo, pages) in zip(zones, spans, strict=True):
        name = z["zone"] if z["node"] == 0 else f"{z['zone']}-N{z['node']}"
        while name in used_names:
            name += "'"
        used_names.add(name)
        if scale < 1:
            pages = max(block, int(pages * scale) // block * block)
        key = (z["node"], z["zone"])
        initial: dict[str, Any] = {}
        pz = next((p for p in (pti.zones if pti else []) if (p.node, p.zone) == key), None)
        nr_pb = pages >> pageblock_order
        if pz is not None and pz.blocks:
            pb_counts: dict[str, int] = {}
            for mt, n in pz.blocks.items():
                folded = _fold(mt, notes)
                if folded is not None and folded != "Movable":
                    pb_counts[folded] = pb_counts.get(folded, 0) + round(n * scale)
            over = sum(pb_counts.values()) - nr_pb
            for mt in reversed(list(pb_counts)):
                if over <= 0:
                    break
                cut = min(over, pb_counts[mt])
                pb_counts[mt] -= cut
                over -= cut
            pb_counts = {mt: n for mt, n in pb_counts.items() if n}
            if pb_counts:
                initial["pageblocks"] = pb_counts
        per_mt: dict[str, list[int]] = {}
        if pz is not None and pz.free:
            for mt, row in pz.free.items():
                folded = _fold(mt, notes)
                if folded is None:
                    continue
                dst = per_mt.setdefault(folded, [0] * max_order)
                for o, n in enumerate(row[:max_order]):
                    dst[o] += n
            if pz.capped:
                notes.add(f"pagetypeinfo printed some counts as '>100000' ({', '.join(pz.capped[:3])}): "
                          "100000 is used")
        elif key in buddy:
            per_mt = {"Movable": list(buddy[key][:max_order])}
            notes.add("no per-migratetype counts (/proc/pagetypeinfo): buddyinfo's free blocks are all Movable")
        shift = at - lo
        explicit = free_blocks.get(key) if free_blocks and scale == 1.0 else None
        if explicit is not None:
            initial["free"] = _explicit_free(explicit, per_mt, shift, max_order, notes)
            notes.add("free blocks are the real ones read from /proc/kpageflags, at their real pfns (shifted with "
                      "their zone); their migratetypes follow pagetypeinfo's counts, Unmovable first from the lowest "
                      "pfn")
        elif per_mt:
            if scale < 1:
                per_mt = {mt: [round(n * scale) for n in row] for mt, row in per_mt.items()}
            per_mt = _fit(per_mt, pages, initial.get("pageblocks"), pageblock_order, max_order, notes)
            initial["free_counts"] = {mt: row for mt, row in per_mt.items() if any(row)}
            _make_placeable(initial, at, pages, max_order, pageblock_order, notes)
            notes.add("only counts of free blocks are known: their pfns follow the initial-state layout rule "
                      "(largest first, each in a pageblock of its migratetype where one is left, lowest pfn first)")
        zone_doc: dict[str, Any] = {"name": name, "pages": pages}
        if initial:
            zone_doc["initial"] = initial
        model_zones.append(zone_doc)
        at += pages

    reporting = host.get("page_reporting") or {}
    hinting: dict[str, Any] = {}
    if "page_reporting_order" in reporting:
        order = reporting["page_reporting_order"]
        if "reporting" in DESIGNS:
            hinting = {"design": "reporting"}
            if isinstance(order, int) and 0 <= order < max_order:
                hinting["min_order"] = order
        else:
            notes.add("the host runs free page reporting, which this version of the core does not model yet: the "
                      "seed's design is used")
    notes.add("not modelled: per-cpu page lists, watermarks and kswapd, compaction, CMA, NUMA, memory hotplug")
    return {
        "format": SCENARIO_FORMAT,
        "title": f"This machine ({host.get('kernel') or 'Linux'})",
        "source": "host",
        "notes": sorted(notes),
        "machine": {"max_order": max_order, "pageblock_order": pageblock_order, "zones": model_zones},
        "hinting": hinting,
        "steps": [],
    }


def _explicit_free(blocks: list[tuple[int, int, bool]], per_mt: dict[str, list[int]], shift: int,
                   max_order: int, notes: set[str]) -> list[dict[str, Any]]:
    """Real free blocks with migratetypes dealt out in pagetypeinfo's proportions per order."""
    by_order: dict[int, list[int]] = {}
    for pfn, order, _reported in blocks:
        by_order.setdefault(min(order, max_order - 1), []).append(pfn)
    out: list[dict[str, Any]] = []
    for order, pfns in by_order.items():
        pfns.sort()
        i = 0
        for mt in MIGRATETYPE_NAMES:
            if mt in ("Movable", "Isolate"):
                continue
            n = per_mt.get(mt, [0] * max_order)[order] if order < len(per_mt.get(mt, [])) else 0
            for pfn in pfns[i:i + n]:
                out.append({"pfn": pfn + shift, "order": order, "migratetype": mt})
            i += min(n, len(pfns) - i)
        for pfn in pfns[i:]:
            out.append({"pfn": pfn + shift, "order": order, "migratetype": "Movable"})
    if any(per_mt.get("Isolate", [])):
        notes.add("blocks on the Isolate lists are placed as Movable (the pageblock layout is a guess)")
    out.sort(key=lambda b: b["pfn"])
    return out


def _fit(per_mt: dict[str, list[int]], pages: int, pb_counts: dict[str, int] | None, pageblock_order: int,
         max_order: int, notes: set[str]) -> dict[str, list[int]]:
    """Counts that fit the zone: at most half its pages free per order (buddies cannot both be free)."""
    if any(per_mt.get("Isolate", [])) and not (pb_counts or {}).get("Isolate"):
        notes.add("free blocks on Isolate lists without an Isolate pageblock are counted as Movable")
        row = per_mt.pop("Isolate")
        dst = per_mt.setdefault("Movable", [0] * max_order)
        for o, n in enumerate(row):
            dst[o] += n
    return per_mt


def _make_placeable(initial: dict[str, Any], start: int, pages: int, max_order: int, pageblock_order: int,
                    notes: set[str]) -> None:
    """Shrink free counts (by tenths) until the layout rule can place them all in the zone."""
    from .errors import InvalidInput
    from .initial_state import parse_zone_initial

    for _ in range(40):
        try:
            parse_zone_initial(initial, "initial", start, pages, max_order, pageblock_order)
            return
        except InvalidInput:
            counts = initial["free_counts"]
            initial["free_counts"] = {mt: [n * 9 // 10 for n in row] for mt, row in counts.items()}
    notes.add("free counts could not be placed: none are used")
    initial.pop("free_counts", None)
    if initial.get("pageblocks") is None:
        initial.pop("pageblocks", None)
    return
