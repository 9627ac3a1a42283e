"""The seed line numbers the model cites really point at what they name."""

from __future__ import annotations

import re

import pytest

from core.events import decode_all
from core.seedref import SEED_LINES
from core.trace import EVENT_KINDS
from tests.conftest import SEED_FILE

pytestmark = pytest.mark.skipif(not SEED_FILE.exists(), reason="the seed file is not next to the checkout")


def seed_lines() -> list[str]:
    return SEED_FILE.read_text(encoding="utf-8").split("\n")


@pytest.mark.parametrize("name", sorted(SEED_LINES))
def test_each_range_names_its_function(name: str) -> None:
    lines = seed_lines()
    first, last = SEED_LINES[name]
    assert 1 <= first <= last <= len(lines)
    text = "\n".join(lines[first - 1 : last])
    base = name.split(":")[0]
    if ":" in name:
        # A sub-range lies inside its function's range.
        outer = SEED_LINES[base]
        assert outer[0] <= first <= last <= outer[1]
        return
    if base == "commit message":
        assert "boundary" in text and "Signed-off-by" not in text.split("\n")[0]
    elif base == "zone->hinted_pages":
        assert "hinted_pages" in text
    elif base == "boundary":
        assert re.search(r"\bboundary\[", text)
    else:
        key = base.replace("struct ", "")
        assert key in text, f"{name}: lines {first}-{last} do not mention {key}"
    if ":" not in name and base.startswith(("page_hinting", "__page", "get_unhinted", "put_hinted", "clear_page")):
        # A function's range opens on its definition line.
        assert re.search(rf"\b{re.escape(base)}\(", lines[first - 1]), lines[first - 1]


def test_every_event_kind_has_words_and_lines_inside_the_seed() -> None:
    from core import HintingConfig, Machine, MachineConfig
    from core.workqueue import WorkPhase

    m = Machine(MachineConfig(4, 2, (("Normal", 16),)), HintingConfig(min_order=2, hwm=0, capacity=1),
                record_events=True)
    # An argument of the right shape for the kinds whose words read one.
    args = {
        "step": (0, {"do": "step"}), "anomaly": ("hint_lost_on_merge", 8), "notify": (3, 1, 2, True),
        "request": (1, 100), "fill_end": (0, 0), "react": (1, 4, 4, ((0, 2),)), "steal": (1, True),
        "put_merged": (0, 3), "place_tail": (None, False), "work_stop": WorkPhase.REACT, "clock": 5,
    }
    kinds = [k for k in EVENT_KINDS.values() if k.name != "clock"]
    raw = [(k, None if k.name in ("step", "request") else 0, 4, 2, 1, args.get(k.name)) for k in kinds]
    events = decode_all(m, raw)
    assert len(events) == len(raw)
    n = len(seed_lines())
    for ev, kind in zip(events, kinds, strict=True):
        assert ev["text"] and ev["kind"] == kind.name and ev["tag"] == kind.tag
        assert ev["category"] in ("step", "alloc", "free", "hinting", "work", "boundary", "anomaly")
        if ev["seed_lines"] is not None:
            assert 1930 < ev["seed_lines"][0] <= ev["seed_lines"][1] <= n
