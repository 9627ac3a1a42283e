"""The seed line numbers the model cites start and end on what they name.

A range that merely contains its function's name can drift a few lines and
still pass; these checks pin both ends.  A whole construct (a function, a
struct, a macro, an enumerator with its comment) must open on its own first
line and close on its own last one; a part of a function ("name: what") must
lie inside it, be whole statements and comments (braces and comments
balanced, starting where a statement starts, ending where one ends) and open
and close on the lines PARTS says.  Every "seed NNNN-NNNN" the project cites
in its code, docs and tours must be one of these ranges.

Skipped when the seed file is not next to the checkout (a plain clone).
"""

from __future__ import annotations

import itertools
import re

import pytest

from core.anomalies import ANOMALY_KINDS
from core.events import decode_all
from core.seedref import KERNEL_FILES, SEED_LINES
from core.trace import EVENT_KINDS
from tests.conftest import ROOT, SEED_FILE

pytestmark = pytest.mark.skipif(not SEED_FILE.exists(), reason="the seed file is not next to the checkout")

PATCH_START = 1936  # the "Patch" line: the diff starts after it

# Each part of a function: (its first line, its last line), as regexes on the code.
PARTS: dict[str, tuple[str, str]] = {
    "clear_page_hinted: boundary": (r"^/\* push boundary back", r"page_hinting_del_from_boundary\(page, zone\);$"),
    "page_hinting_notify_free: static key": (r"^/\* Called from hot path", r"^return;$"),
    "page_hinting_notify_free: min_order": (r"^/\* Limit notifications only to higher order", r"^return;$"),
    "page_hinting_notify_free: REQUESTED": (r"^/\* Do not bother with tests", r"^return;$"),
    "page_hinting_notify_free: hwm": (r"^/\* If hinted_pages is not populated", r"^return;$"),
    "__free_one_page: tail or head": (r"^if \(hinted \|\|$", r"^add_to_free_list\(page, zone, order, migratetype\);$"),
    "__free_one_page: no notify when hinted": (r"^/\*$", r"^page_hinting_notify_free\(zone, order\);$"),
    "get_unhinted_page: try the head": (r"^/\* If the page is hinted try the head", r"^}$"),
    "get_unhinted_page: both Hinted": (r"^/\*$", r"^}$"),
    "get_unhinted_page: NR_FREE_PAGES": (r"^/\*$", r"^__mod_zone_freepage_state\("),
    "put_hinted_page: migratetype": (r"^mt = get_pcppage_migratetype\(page\);$", r"^}$"),
    "put_hinted_page: merged": (r"^__free_one_page\(page, pfn, zone, order, mt, true\);$", r"^return;$"),
    "page_hinting_populate_metadata: reset": (r"^/\* Update boundary data", r"page_hinting_reset_boundary\("),
    "page_hinting_fill: capacity": (r"^while \(\(page = get_unhinted_page\(", r"^}$"),
    "page_hinting_fill: underflow": (r"^/\* mark end of scatterlist due to underflow \*/$", r"^atomic_dec\("),
    "page_hinting_cycle: ACTIVE": (r"^/\* set bit indicating boundaries", r"set_bit\(ZONE_PAGE_HINTING_ACTIVE"),
    "page_hinting_cycle: react": (r"^spin_unlock\(&zone->lock\);$", r"^phdev->react\(phdev, num_hints\);$"),
    "page_hinting_cycle: drain": (r"^spin_lock\(&zone->lock\);$", r"^page_hinting_drain\(zone, phdev\);$"),
    "page_hinting_cycle: end": (r"^/\* processing of the zone is complete", r"clear_bit\(ZONE_PAGE_HINTING_ACTIVE"),
    "page_hinting_process: REQUESTED": (r"^if \(test_bit\(ZONE_PAGE_HINTING_REQUESTED",
                                         r"^page_hinting_cycle\(zone, phdev\);$"),
    "__page_hinting_request: schedule": (r"^/\*$", r"schedule_delayed_work\(&phdev->work, HZ / 10\);$"),
    "page_hinting_shutdown: not registered": (r"^if \(rcu_access_pointer\(ph_dev_info\) != phdev\)$", r"^return;$"),
    "page_hinting_shutdown: cancel": (r"^/\* Flush any existing work", r"^cancel_delayed_work_sync\("),
}


def raw_lines() -> list[str]:
    return SEED_FILE.read_text(encoding="utf-8").split("\n")


def code(line: str) -> str | None:
    """A diff line as a line of the patched file (None for a removed line or a diff header)."""
    if line[:1] in ("+", " "):
        return line[1:]
    if line == "":
        return ""
    return None


def strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def body(first: int, last: int) -> list[str]:
    """The range's lines of the patched file (hunk headers and removed lines left out), 1-based bounds."""
    return [c for c in (code(raw) for raw in raw_lines()[first - 1 : last]) if c is not None]


def ends_hunk(n: int) -> bool:
    """Is line n (1-based) the last line of its hunk?"""
    nxt = raw_lines()[n] if n < len(raw_lines()) else ""
    return nxt.startswith(("diff --git", "@@"))


def check_function(name: str, first: int, last: int) -> None:
    lines = raw_lines()
    head = lines[first - 1]
    if head.startswith("@@"):  # the diff shows the signature in the hunk header
        assert re.search(rf"\b{re.escape(name)}\(", head), f"{name}: line {first} is a hunk header of another function"
    else:
        sig = code(head)
        assert sig is not None and re.match(rf"[A-Za-z_].*\b{re.escape(name)}\(", sig), (
            f"{name}: line {first} is not its signature: {head!r}"
        )
        assert not sig.rstrip().endswith(";"), f"{name}: line {first} is a prototype, not the definition"
    end = code(lines[last - 1])
    assert end == "}" or ends_hunk(last), f"{name}: line {last} is neither its closing brace nor its hunk's end"
    inner = [c for c in (code(x) for x in lines[first : last - 1]) if c is not None]
    assert "}" not in inner, f"{name}: lines {first}-{last} hold more than one function"


def check_balanced(name: str, first: int, last: int) -> None:
    text = "\n".join(body(first, last))
    assert text.count("/*") == text.count("*/"), f"{name}: a comment is cut"
    bare = strip_comments(text)
    assert bare.count("{") == bare.count("}"), f"{name}: braces do not balance"
    assert bare.count("(") == bare.count(")"), f"{name}: parentheses do not balance"


@pytest.mark.parametrize("name", sorted(SEED_LINES))
def test_each_range_starts_and_ends_on_what_it_names(name: str) -> None:
    lines = raw_lines()
    first, last = SEED_LINES[name]
    assert 1 <= first <= last <= len(lines)
    if name == "commit message":
        assert lines[first - 1].startswith("From: "), "the commit message opens on its From: line"
        assert lines[last - 1].strip() and not lines[last].strip(), "it ends on the last line of a paragraph"
        after = next(x for x in lines[last:] if x.strip())
        assert after.startswith("Signed-off-by:"), "its last paragraph is the one before the sign-off"
        assert last < PATCH_START
        return
    assert first > PATCH_START, f"{name}: cites the review thread, not the patch"
    if ":" in name:
        base = name.split(":")[0]
        outer = SEED_LINES[base]
        assert outer[0] <= first <= last <= outer[1], f"{name}: outside {base} {outer}"
        assert name in PARTS, f"{name}: say in PARTS which lines it opens and closes on"
        check_balanced(name, first, last)
        got = body(first, last)
        open_re, close_re = PARTS[name]
        assert re.search(open_re, got[0].strip()), f"{name}: opens on {got[0]!r}"
        assert re.search(close_re, got[-1].strip()), f"{name}: closes on {got[-1]!r}"
        before = [c for c in body(outer[0], first - 1) if c.strip()]
        assert before and before[-1].rstrip().endswith((";", "{", "}", "*/")), f"{name}: starts mid-statement"
        return
    head = code(lines[first - 1]) or ""
    end = code(lines[last - 1]) or ""
    if name.startswith("struct "):
        assert head == f"{name} {{" and end == "};", f"{name}: {head!r} .. {end!r}"
    elif name == "zone->hinted_pages":
        assert head == "#ifdef CONFIG_PAGE_HINTING" and end == "#endif"
        assert any(re.search(r"\*hinted_pages;$", c) for c in body(first, last))
    elif name.startswith("ZONE_PAGE_HINTING_"):
        assert head.strip().startswith(name + ","), f"{name}: opens on {head!r}"
        assert end.strip() == "*/", f"{name}: its comment does not end on line {last}"
        enumerators = [c for c in body(first, last) if re.match(r"\s*ZONE_\w+,", c)]
        assert len(enumerators) == 1, f"{name}: lines {first}-{last} hold {len(enumerators)} enumerators"
        check_balanced(name, first, last)
    elif name == "PageHinted":
        assert head == "/*" and end == "PAGE_TYPE_OPS(Hinted, offline)"
    elif name == "boundary":
        assert first == last and re.match(r"struct list_head \*boundary\[.*\];$", head)
    elif head.startswith("#define"):
        assert re.match(rf"#define {re.escape(name)}\(", head), head
        macro = body(first, last)
        assert all(x.rstrip().endswith("\\") for x in macro[:-1]) and not end.rstrip().endswith("\\")
    else:
        check_function(name, first, last)


def test_no_two_functions_overlap() -> None:
    whole = sorted((span, name) for name, span in SEED_LINES.items() if ":" not in name and name != "commit message")
    for (a, name_a), (b, name_b) in itertools.pairwise(whole):
        assert a[1] < b[0], f"{name_a} {a} and {name_b} {b} overlap"


RANGE = r"(\d{4})(?:\s*[-–]\s*(\d{4}))?"
CITED = re.compile(rf"\bseed(?: lines?)? {RANGE}(?:(?:,| and) {RANGE})*")
ONE = re.compile(RANGE)


def cited_ranges() -> list[tuple[str, int, int]]:
    files = [*ROOT.glob("core/*.py"), *ROOT.glob("app/*.py"), *ROOT.glob("docs/*.md"), ROOT / "README.md",
             *ROOT.glob("app/presets/*.json"), *ROOT.glob("static/js/**/*.js")]
    out = []
    for path in files:
        for m in CITED.finditer(path.read_text(encoding="utf-8")):
            for r in ONE.finditer(m.group(0)):
                a = int(r.group(1))
                out.append((str(path.relative_to(ROOT)), a, int(r.group(2) or a)))
    return out


def test_every_cited_range_is_a_named_one() -> None:
    """Docstrings, docs and tours cite only ranges this table names (and the tests above pin)."""
    known = set(SEED_LINES.values())
    cited = cited_ranges()
    assert cited, "the project cites seed lines somewhere"
    wrong = [f"{where}: seed {a}-{b}" for where, a, b in cited if (a, b) not in known]
    assert not wrong, "ranges no entry of core/seedref.py names: " + "; ".join(wrong)


def test_every_event_kind_has_words_and_a_reference() -> None:
    from core import HintingConfig, Machine, MachineConfig
    from core.workqueue import WorkPhase

    m = Machine(MachineConfig(4, 2, (("Normal", 16),)), HintingConfig(min_order=2, hwm=0, capacity=1),
                record_events=True)
    # An argument of the right shape for the kinds whose words read one.
    args = {
        "step": (0, {"do": "step"}), "anomaly": ("hint_lost_on_merge", 8), "notify": (3, 1, 2, True),
        "request": (1, 100), "fill_end": (0, 0, 1), "react": (1, 4, 4, ((0, 2),)), "steal": (1, True),
        "put_merged": (0, 3, 1, False, 1), "put_hinted": (1, False, 1), "place_tail": (None, False),
        "work_stop": WorkPhase.REACT, "clock": 5, "isolated": (0, 4), "notify_quiet": ("order", 2),
        "shutdown": (False, False, 0), "tail": (True, None), "pull": ("tail", None, 4), "cycle_start": 2,
        "cycle_end": "empty", "alloc_failed": (), "wasted": "merge", "both_hinted": (None, 4),
    }
    # The allocator's, the machine's and the seed's kinds (another design checks its own references).
    kinds = [k for k in EVENT_KINDS.values() if k.name != "clock" and k.design in (None, "seed")]
    raw = [(k, None if k.name in ("step", "request") else 0, 4, 2, 1, args.get(k.name)) for k in kinds]
    events = decode_all(m, raw)
    assert len(events) == len(raw)
    n = len(raw_lines())
    for ev, kind in zip(events, kinds, strict=True):
        assert ev["text"] and ev["kind"] == kind.name and ev["tag"] == kind.tag
        assert ev["category"] in ("step", "alloc", "free", "hinting", "work", "boundary", "anomaly")
        if ev["seed_lines"] is not None:
            assert PATCH_START < ev["seed_lines"][0] <= ev["seed_lines"][1] <= n
        elif ev["fn"] is not None:
            assert ev.get("kernel_file"), f"{kind.name}: {ev['fn']} has neither seed lines nor a kernel file"


def test_every_declared_anchor_resolves() -> None:
    for kind in EVENT_KINDS.values():
        if kind.fn is None or kind.design not in (None, "seed"):
            continue
        ref = kind.anchor or kind.fn
        assert ref in SEED_LINES or ref in KERNEL_FILES or kind.fn in KERNEL_FILES, f"{kind.name}: {ref}"
    for name, (fn, anchor, _claim) in ANOMALY_KINDS.items():
        assert anchor in SEED_LINES, f"anomaly {name}: {anchor} has no seed lines"
        assert anchor.split(":")[0] == fn or fn in SEED_LINES, f"anomaly {name}: {fn} / {anchor}"
