"""A page as the kernel and its tools see it (core/page_repr.py), and the per-zone totals.

* By hand on a 16-page machine: a seed-Hinted head, one of its tail pages,
  an unhinted head, an allocated page and a page in the batch, under each
  encoding: the fields, PageBuddy/PageOffline, the /proc/kpageflags word,
  makedumpfile's verdict and the list walkers.
* Bad arguments name their field.
* On random runs, for every design: the zone totals equal what a
  brute-force pass over every pfn finds (page-types' grouping of the
  kpageflags words, makedumpfile's scan in pfn order, PageOffline readings),
  and the state's summary agrees with them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import HintingConfig, InvalidInput, Machine, MachineConfig
from core.page_flags import (
    ENCODINGS,
    PAGE_BUDDY_MAPCOUNT_VALUE,
    PAGE_OFFLINE_MAPCOUNT_VALUE,
    PageType,
    PG_offline,
)
from core.page_repr import (
    BlockState,
    kpageflags_word,
    locate,
    page_view,
    pages_view,
    struct_page,
    zone_summary,
)
from tests.core.test_page_repr_writes import DESIGN_NAMES, HAND, design_config, registered
from tests.core.test_properties import OPS, concrete, machines


def after(steps: int, stepping: bool = False) -> Machine:
    """The hand scenario of test_page_repr_writes.py, run `steps` steps."""
    m = Machine(MachineConfig(4, 2, (("Normal", 16),)),
                HintingConfig(min_order=2, hwm=0, capacity=4, delay_ms=10, stepping=stepping))
    for step, *_ in HAND[:steps]:
        assert m.apply(step)["ok"]
    return m


def test_a_hinted_head_under_each_encoding() -> None:
    m = after(6)  # 0 and 8 are Hinted order-3 blocks: free_area[3].free_list[Movable] = [8, 0]
    v = page_view(m, 0, "offline-alias")
    assert v["format"] == "hinting-page/1" and v["zone"] == "Normal"
    assert v["encoding"]["own"] is True and v["design"] == {"name": "seed", "mark_name": "Hinted",
                                                            "own_encoding": "offline-alias"}
    block = v["block"]
    assert (block["state"], block["head_pfn"], block["order"], block["pages"], block["is_head"], block["marked"]) == (
        "free", 0, 3, 8, True, True)
    assert block["list"]["name"] == "free_area[3].free_list[Movable]"
    sp = v["struct_page"]
    assert sp["page_type"] == {"value": 0xFFFFFE7F, "hex": "0xfffffe7f", "signed": -385, "types": ["buddy", "offline"]}
    assert sp["flags"]["names"] == [] and sp["private"] == 3 and sp["refcount"] == 0
    assert sp["lru"]["prev"] == {"pfn": 8} and sp["lru"]["next"] == {"list_head": "free_area[3].free_list[Movable]"}
    assert v["kernel"]["PageBuddy"] is True and v["kernel"]["PageOffline"] is True
    assert v["kpageflags"]["text"] == "BUDDY|OFFLINE" and v["kpageflags"]["hex"] == "0x0000000000800400"
    assert v["makedumpfile"]["verdict"] == "dumped" and v["makedumpfile"]["pages"] == 8
    assert "0xfffffe7f" in v["makedumpfile"]["reason"] and "0xffffff7f" in v["makedumpfile"]["reason"]
    assert v["list_walkers"]["sees"] is True

    v = page_view(m, 0, "uptodate-reported")
    assert v["encoding"]["own"] is False
    assert v["struct_page"]["page_type"]["hex"] == "0xffffff7f"
    assert v["struct_page"]["flags"]["names"] == ["PG_uptodate"]
    assert v["kernel"]["PageOffline"] is False
    assert v["kpageflags"]["text"] == "BUDDY|UPTODATE"
    assert v["makedumpfile"]["verdict"] == "excluded_free" and v["makedumpfile"]["text"] == "free and excluded"

    v = page_view(m, 0, "dirty-unhinted")
    assert v["struct_page"]["flags"]["value"] == 0 and v["kpageflags"]["text"] == "BUDDY"
    assert v["makedumpfile"]["verdict"] == "excluded_free"


def test_a_tail_page_follows_its_head() -> None:
    m = after(6)
    v = page_view(m, 3, "offline-alias")
    assert v["block"]["is_head"] is False and v["block"]["index"] == 3
    assert v["struct_page"]["page_type"]["signed"] == -1 and v["struct_page"]["lru"]["state"] == "unused"
    assert v["kernel"] == {"PageBuddy": False, "PageOffline": False, "PageOffline_text": "false"}
    assert v["kpageflags"]["text"] == "BUDDY" and "is_free_buddy_page" in v["kpageflags"]["why"][0]
    assert v["makedumpfile"]["verdict"] == "dumped" and "head pfn 0" in v["makedumpfile"]["reason"]
    assert "0xfffffe7f" in v["makedumpfile"]["reason"]  # the head's value, which decided
    assert page_view(m, 3, "uptodate-reported")["makedumpfile"]["verdict"] == "excluded_free"
    assert "inside the free block at pfn 0" in v["list_walkers"]["text"]


def test_an_unhinted_head_after_the_move_is_dirty() -> None:
    m = after(7)  # the move cleared Hinted on 0, now on free_area[3].free_list[Unmovable]
    v = page_view(m, 0, "dirty-unhinted")
    assert v["block"]["marked"] is False and v["block"]["list"]["migratetype"] == "Unmovable"
    assert v["struct_page"]["flags"]["names"] == ["PG_dirty"] and v["kpageflags"]["text"] == "BUDDY|DIRTY"
    assert page_view(m, 0, "offline-alias")["struct_page"]["page_type"]["hex"] == "0xffffff7f"
    assert page_view(m, 0)["encoding"]["name"] == "offline-alias"  # the design's own by default


def test_an_allocated_page() -> None:
    m = after(1)  # 8 was allocated (order 0)
    v = page_view(m, 8, "dirty-unhinted")
    assert v["block"]["state"] == "allocated" and v["struct_page"]["refcount"] == 1
    assert v["kpageflags"]["text"] == "none" and v["makedumpfile"]["verdict"] == "dumped"
    assert v["list_walkers"]["sees"] is False and v["struct_page"]["lru"]["state"] == "owner"


def test_a_page_in_the_batch() -> None:
    m = after(6, stepping=True)  # the work stops before react: 0 and 8 are out in the batch
    v = page_view(m, 8, "uptodate-reported")
    assert v["block"]["state"] == "batch" and v["block"]["batch_index"] is not None
    assert v["struct_page"]["lru"]["state"] == "poisoned" and v["struct_page"]["lru"]["prev"] == "0xdead000000000122"
    assert v["struct_page"]["private"] == 3  # the seed's get_unhinted_page puts the order back
    assert v["kpageflags"]["text"] == "none" and v["makedumpfile"]["verdict"] == "dumped"
    assert v["list_walkers"]["sees"] is False and "batch" in v["list_walkers"]["text"]
    totals = pages_view(m, "uptodate-reported")["zones"][0]
    assert totals["batch_pages"] == 16 and totals["makedumpfile"]["dumped_in_batch"] == 16
    assert totals["makedumpfile"]["dumped_though_free"] == 16


def test_zone_totals_by_hand() -> None:
    m = after(6)
    seed = pages_view(m, "offline-alias")["zones"][0]
    assert (seed["free_pages"], seed["marked_blocks"], seed["marked_pages"]) == (16, 2, 16)
    assert seed["makedumpfile"] == {"excluded_free": 0, "excluded_offline": 0, "dumped_though_free": 16,
                                    "dumped_on_lists": 16, "dumped_in_batch": 0}
    assert seed["pageoffline"] == {"pages": 2, "block_pages": 16}
    assert [(g["text"], g["pages"]) for g in seed["kpageflags"]] == [("BUDDY", 14), ("BUDDY|OFFLINE", 2)]
    assert seed["kpageflags"][0]["symbolic"] == "__________B________________________________"
    rep = pages_view(m, "uptodate-reported")["zones"][0]
    assert rep["makedumpfile"]["excluded_free"] == 16 and rep["pageoffline"]["pages"] == 0
    assert [g["text"] for g in rep["kpageflags"]] == ["BUDDY", "BUDDY|UPTODATE"]  # by flags value


def test_bad_arguments_name_their_field() -> None:
    m = after(0)
    with pytest.raises(InvalidInput) as err:
        page_view(m, 0, "offline")
    assert err.value.field == "encoding" and "offline-alias" in err.value.message
    for pfn in (-1, 16, "3", True, None):
        with pytest.raises(InvalidInput) as err:
            page_view(m, pfn)
        assert err.value.field == "pfn"
    with pytest.raises(InvalidInput) as err:
        pages_view(m, 7)
    assert err.value.field == "encoding"


def test_a_design_without_an_own_encoding() -> None:
    from tests.core.test_design_seam import Eager, EagerConfig

    with registered(Eager.name):
        m = Machine(MachineConfig(5, 2, (("Normal", 64),)), EagerConfig())
        m.apply({"do": "hinting_start"})
        m.apply({"do": "advance", "ms": 10})
        v = page_view(m, 0)
    assert v["design"] == {"name": "eager", "mark_name": "Marked", "own_encoding": None}
    assert v["encoding"] == {**v["encoding"], "name": "offline-alias", "own": False}
    assert v["block"]["marked"] is True and "Marked by the eager design" in v["block_text"]


# --- brute force ----------------------------------------------------------------------------------


def brute_force(m: Machine, zone_idx: int, encoding: str) -> dict[str, Any]:
    """Every pfn of the zone, one by one: page-types' groups, makedumpfile's scan, PageOffline."""
    enc = ENCODINGS[encoding]
    zone = m.zones[zone_idx]
    words: Counter[int] = Counter()
    offline = 0
    for pfn in range(zone.zone_start_pfn, zone.zone_end_pfn):
        block = locate(m, pfn)
        sp = struct_page(m, block, pfn, enc)
        words[kpageflags_word(block.state, sp)] += 1
        if block.state is BlockState.FREE and PageType(sp.page_type, PG_offline):
            offline += 1
    excluded = excluded_offline = dumped_free = 0
    pfn = zone.zone_start_pfn
    while pfn < zone.zone_end_pfn:  # __exclude_unnecessary_pages, in pfn order
        block = locate(m, pfn)
        sp = struct_page(m, block, pfn, enc)
        if sp.page_type == PAGE_BUDDY_MAPCOUNT_VALUE:
            excluded += 1 << sp.private
            pfn += 1 << sp.private
            continue
        if sp.page_type == PAGE_OFFLINE_MAPCOUNT_VALUE:
            excluded_offline += 1
        elif block.state is not BlockState.ALLOCATED:
            dumped_free += 1
        pfn += 1
    return {"kpageflags": sorted(words.items()), "excluded_free": excluded, "excluded_offline": excluded_offline,
            "dumped_though_free": dumped_free, "pageoffline": offline}


@pytest.mark.parametrize("design", DESIGN_NAMES)
def test_totals_equal_a_page_by_page_count(design: str) -> None:
    @settings(max_examples=40, deadline=None)
    @given(machines(), st.lists(OPS, min_size=1, max_size=40), st.sampled_from(sorted(ENCODINGS)))
    def run(cfg_pair: tuple[MachineConfig, HintingConfig], ops: list[tuple[Any, ...]], encoding: str) -> None:
        cfg, seed_cfg = cfg_pair
        with registered(design):
            m = Machine(cfg, design_config(design, cfg, seed_cfg))
            for op in ops:
                m.apply(concrete(m, op))
                doc = pages_view(m, encoding)
                for i, zone in enumerate(doc["zones"]):
                    want = brute_force(m, i, encoding)
                    assert sorted((g["value"], g["pages"]) for g in zone["kpageflags"]) == want["kpageflags"]
                    md = zone["makedumpfile"]
                    assert (md["excluded_free"], md["excluded_offline"], md["dumped_though_free"]) == (
                        want["excluded_free"], want["excluded_offline"], want["dumped_though_free"])
                    assert zone["pageoffline"]["pages"] == want["pageoffline"]
                    summary = zone_summary(m, m.zones[i], zone["batch_pages"])["encodings"][encoding]
                    assert summary == {"flag_writes": zone["flag_writes"]["total"],
                                       "dumped_though_free": md["dumped_though_free"],
                                       "pageoffline_pages": zone["pageoffline"]["pages"]}
                state_zone = m.state()["zones"][0]
                assert state_zone["page_repr"] == zone_summary(m, m.zones[0], state_zone["batch_pages"])

    run()
