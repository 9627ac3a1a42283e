"""Where each modelled function sits in the seed patch file.

Line numbers refer to `shared/seed/000_4d67359d60dc2608.txt` ("[v2,4/5] mm:
Introduce Hinted pages", with its review thread).  A plain name is a whole
construct: a function from its signature line (in a hunk header when the
diff shows it there) to its closing brace (or to the end of the hunk when the
diff shows only part of it), a struct from `struct x {` to `};`, a macro, an
enumerator with its comment.  "name: what" is a part of that function: a
statement, or a comment with the statement it explains.

Code the seed did not touch is v5.3 code and has no seed lines; it names its
kernel file instead (KERNEL_FILES, by function or by "function: part").
tests/core/test_seedref.py checks every range against the seed file when it
is present (each range must start and end on the construct it names), and
checks every "seed NNNN-NNNN" cited in the project's code, docs and tours
against this table, so a wrong number cannot go unnoticed.
"""

from __future__ import annotations

SEED_FILE = "000_4d67359d60dc2608.txt"

# name -> (first line, last line) in the seed file
SEED_LINES: dict[str, tuple[int, int]] = {
    "commit message": (13, 50),
    "zone->hinted_pages": (1946, 1953),
    "ZONE_PAGE_HINTING_REQUESTED": (1961, 1964),
    "ZONE_PAGE_HINTING_ACTIVE": (1965, 1968),
    "add_to_free_list_tail": (1982, 1998),
    "move_to_free_list": (2001, 2013),
    "del_page_from_free_list": (2015, 2023),
    "PageHinted": (2031, 2037),
    "struct page_hinting_dev_info": (2062, 2084),
    "get_unhinted_tail": (2108, 2118),
    "clear_page_hinted": (2120, 2136),
    "clear_page_hinted: boundary": (2127, 2129),
    "page_hinting_notify_free": (2158, 2186),
    "page_hinting_notify_free: static key": (2163, 2165),
    "page_hinting_notify_free: min_order": (2167, 2169),
    "page_hinting_notify_free: REQUESTED": (2171, 2173),
    "page_hinting_notify_free: hwm": (2175, 2181),
    "__free_one_page": (2238, 2266),
    "__free_one_page: tail or head": (2252, 2257),
    "__free_one_page: no notify when hinted": (2259, 2265),
    "free_one_page": (2278, 2285),
    "get_unhinted_page": (2308, 2354),
    "get_unhinted_page: try the head": (2323, 2336),
    "get_unhinted_page: both Hinted": (2327, 2335),
    "get_unhinted_page: NR_FREE_PAGES": (2344, 2348),
    "put_hinted_page": (2366, 2404),
    "put_hinted_page: migratetype": (2374, 2380),
    "put_hinted_page: merged": (2385, 2394),
    "boundary": (2430, 2430),
    "page_hinting_reset_boundary": (2432, 2437),
    "for_each_hinting_migratetype_order": (2439, 2441),
    "page_hinting_populate_metadata": (2443, 2465),
    "page_hinting_populate_metadata: reset": (2460, 2462),
    "__page_hinting_get_boundary": (2467, 2471),
    "page_hinting_del_from_boundary": (2473, 2481),
    "page_hinting_add_to_boundary": (2483, 2490),
    "page_hinting_fill": (2492, 2527),
    "page_hinting_fill: capacity": (2507, 2512),
    "page_hinting_fill: underflow": (2515, 2524),
    "page_hinting_drain": (2529, 2541),
    "page_hinting_cycle": (2548, 2591),
    "page_hinting_cycle: ACTIVE": (2560, 2561),
    "page_hinting_cycle: react": (2571, 2574),
    "page_hinting_cycle: drain": (2576, 2582),
    "page_hinting_cycle: end": (2587, 2588),
    "page_hinting_process": (2593, 2618),
    "page_hinting_process: REQUESTED": (2601, 2602),
    "__page_hinting_request": (2621, 2654),
    "__page_hinting_request: schedule": (2645, 2651),
    "page_hinting_shutdown": (2663, 2679),
    "page_hinting_shutdown: not registered": (2665, 2666),
    "page_hinting_shutdown: cancel": (2673, 2674),
    "page_hinting_startup": (2682, 2711),
}

# Code the seed left alone: where to read it in a v5.3 tree.
KERNEL_FILES: dict[str, str] = {
    "rmqueue": "mm/page_alloc.c",
    "__rmqueue_smallest": "mm/page_alloc.c",
    "expand": "mm/page_alloc.c",
    "take_page_off_buddy": "mm/page_alloc.c (Linux 5.8+, not v5.3)",
    "__rmqueue_fallback": "mm/page_alloc.c",
    "steal_suitable_fallback": "mm/page_alloc.c",
    "move_freepages_block": "mm/page_alloc.c",
    "set_pageblock_migratetype": "mm/page_alloc.c",
    "__free_one_page: merging": "mm/page_alloc.c (v5.3, unchanged by the seed)",
    "__free_one_page: isolation": "mm/page_alloc.c (v5.3, unchanged by the seed)",
    "add_to_free_list": "include/linux/mmzone.h",
    "buddy_merge_likely": "mm/page_alloc.c (patch 1/5)",
    "react": "drivers/virtio/virtio_balloon.c (patch 5/5)",
}


def seed_lines(name: str) -> list[int] | None:
    span = SEED_LINES.get(name)
    return [span[0], span[1]] if span else None


def kernel_file(anchor: str | None, fn: str | None) -> str | None:
    """The kernel file to cite for code without seed lines: by its part first, then by its function."""
    if anchor is not None and anchor in KERNEL_FILES:
        return KERNEL_FILES[anchor]
    return KERNEL_FILES.get(fn) if fn is not None else None
