"""Where each modelled function sits in the seed patch file.

Line numbers refer to `shared/seed/000_4d67359d60dc2608.txt` ("[v2,4/5] mm:
Introduce Hinted pages", with its review thread).  Functions the seed did
not touch are v5.3 code and have no seed lines; they name their kernel file
instead.  tests/test_seedref.py checks every range against the seed file when
it is present, so a wrong number cannot go unnoticed.
"""

from __future__ import annotations

SEED_FILE = "000_4d67359d60dc2608.txt"

# name -> (first line, last line) in the seed file
SEED_LINES: dict[str, tuple[int, int]] = {
    "commit message": (13, 47),
    "zone->hinted_pages": (1945, 1952),
    "ZONE_PAGE_HINTING_REQUESTED": (1961, 1968),
    "add_to_free_list_tail": (1982, 1998),
    "move_to_free_list": (2001, 2013),
    "del_page_from_free_list": (2015, 2023),
    "struct page_hinting_dev_info": (2061, 2084),
    "get_unhinted_tail": (2108, 2118),
    "clear_page_hinted": (2120, 2136),
    "page_hinting_notify_free": (2158, 2186),
    "__free_one_page": (2238, 2268),
    "__free_one_page: tail or head": (2257, 2268),
    "get_unhinted_page": (2308, 2354),
    "get_unhinted_page: try the head": (2323, 2336),
    "get_unhinted_page: NR_FREE_PAGES": (2344, 2348),
    "put_hinted_page": (2366, 2404),
    "put_hinted_page: merged": (2385, 2394),
    "boundary": (2430, 2430),
    "page_hinting_reset_boundary": (2432, 2437),
    "page_hinting_populate_metadata": (2443, 2465),
    "__page_hinting_get_boundary": (2467, 2471),
    "page_hinting_del_from_boundary": (2473, 2481),
    "page_hinting_add_to_boundary": (2483, 2490),
    "page_hinting_fill": (2492, 2527),
    "page_hinting_fill: capacity": (2507, 2512),
    "page_hinting_fill: underflow": (2515, 2524),
    "page_hinting_drain": (2529, 2541),
    "page_hinting_cycle": (2548, 2591),
    "page_hinting_cycle: react": (2571, 2576),
    "page_hinting_process": (2593, 2618),
    "__page_hinting_request": (2621, 2654),
    "page_hinting_shutdown": (2663, 2679),
    "page_hinting_startup": (2682, 2711),
}

# Functions the seed left alone: where to read them in a v5.3 tree.
KERNEL_FILES: dict[str, str] = {
    "__rmqueue_smallest": "mm/page_alloc.c",
    "expand": "mm/page_alloc.c",
    "take_page_off_buddy": "mm/page_alloc.c (Linux 5.8+, not v5.3)",
    "__rmqueue_fallback": "mm/page_alloc.c",
    "steal_suitable_fallback": "mm/page_alloc.c",
    "move_freepages_block": "mm/page_alloc.c",
    "set_pageblock_migratetype": "mm/page_alloc.c",
    "add_to_free_list": "include/linux/mmzone.h",
    "buddy_merge_likely": "mm/page_alloc.c (patch 1/5)",
    "react": "drivers/virtio/virtio_balloon.c (patch 5/5)",
}


def seed_lines(name: str) -> list[int] | None:
    span = SEED_LINES.get(name)
    return [span[0], span[1]] if span else None
