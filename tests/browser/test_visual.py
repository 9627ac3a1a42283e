"""How the page looks where it is used: a projector, a laptop, a 4K screen, a 1 GiB zone.

These tests check layout facts a person would notice (nothing cut off, no
scrolling on the projector, type large enough) and save the screenshots that
were judged by eye.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import GOLDEN

from .conftest import ROOT, LabServer, list_items, map_pixel, map_point, open_lab, shot

pytestmark = pytest.mark.browser



def golden(name: str) -> dict[str, Any]:
    path = GOLDEN / f"{name}.json"
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return dict(json.loads(path.read_text()))


def open_session(browser: Browser, server: LabServer, body: dict[str, Any], width: int, height: int,
                 query: str = "", scale: float = 1) -> Page:
    """A session made over HTTP, opened as its controller (the token goes where the page keeps it)."""
    s = server.create(body)
    ctx = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale)
    ctx.add_init_script(f"sessionStorage.setItem('hl.token.{s['id']}', {json.dumps(s['control_token'])})")
    page = ctx.new_page()
    page.goto(f"{server.url}/s/{s['id']}{query}")
    expect(page.get_by_test_id("connection")).to_have_text("live")
    expect(page.locator("html")).to_have_attribute("data-ready", "true")
    return page


def fits_viewport(page: Page) -> bool:
    return bool(page.evaluate("() => document.scrollingElement.scrollHeight <= window.innerHeight + 1"))


def test_projector_at_1280x720_fits_one_screen(browser: Browser, server: LabServer) -> None:
    # The mockup's scene: golden 08, its last state.
    page = open_session(browser, server, {"scenario": golden("08-notify-free-at-hwm")}, 1280, 720,
                        "?projector=1&theme=light")
    try:
        expect(page.locator("html")).to_have_attribute("data-mode", "projector")
        assert list_items(page, "Normal", 2) == ["20", "8", "|", "0*"]
        assert fits_viewport(page)
        box = page.get_by_test_id("memory-map").bounding_box()
        assert box and box["y"] + box["height"] <= 720
        # Large type: body text of at least 15 px.
        assert page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 15
        # Empty migratetype columns are collapsed; controls are keys only.
        expect(page.locator('[data-testid="free-list"][data-migratetype="Unmovable"]').first).to_be_hidden()
        expect(page.get_by_test_id("alloc-submit")).to_be_hidden()
        shot(page, "projector-1280x720")
    finally:
        page.context.close()


def _rgb(css: str) -> tuple[int, int, int]:
    """'rgb(r, g, b)', 'rgba(...)' or '#RRGGBB' as (r, g, b)."""
    css = css.strip()
    if css.startswith("#"):
        return int(css[1:3], 16), int(css[3:5], 16), int(css[5:7], 16)
    r, g, b = (int(float(x)) for x in css[css.index("(") + 1:css.index(")")].split(",")[:3])
    return r, g, b


def _luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance."""
    lin = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio: 4.5 for body text, 3 for large text and the edges of controls."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# What each element shows in the dark theme: its colour property, the element it sits on, and the least
# contrast it needs (WCAG: 4.5 for text, 3 for graphics a reader must see, such as the boundary marker).
DARK_PAIRS = [
    ("body text", "body", "color", "body", 7),
    ("the free area's text", ".panel.freearea", "color", ".panel.freearea", 7),
    ("the zone header's text", "[data-testid=zone]", "color", "[data-testid=zone]", 7),
    ("an unlit lamp (REQUESTED or ACTIVE)", "[data-testid=zone] .lamp[data-on=false]", "color", "[data-testid=zone]",
     4.5),
    ("a quiet event line", ".ev", "color", ".panel.freearea", 4.5),
    # A bar while ACTIVE is set, a dashed outline while it is not: whichever is drawn.
    ("a boundary marker", "[data-testid=boundary]:not(.empty)", "background-color|border-left-color",
     ".panel.freearea", 3),
]


def test_dark_theme_laptop(browser: Browser, server: LabServer) -> None:
    doc = golden("01-active-tail-free-lands-before-boundary")
    # One block taken and given back, so the map has an ordinary (not Hinted) free block too.
    doc = {**doc, "steps": [*doc["steps"], {"do": "alloc", "zone": "Normal", "order": 2, "migratetype": "Movable",
                                            "as": "x"}, {"do": "free", "ref": "x"}]}
    page = open_session(browser, server, {"scenario": doc}, 1600, 1000, "?theme=dark&projector=0")
    try:
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        colours = page.evaluate("""pairs => pairs.map(([, fg, props, bg]) => {
            const f = document.querySelector(fg), b = document.querySelector(bg);
            const drawn = (v) => v && v !== 'transparent' && !/^rgba\\(.*,\\s*0\\)$/.test(v);
            return [f && props.split('|').map(p => getComputedStyle(f).getPropertyValue(p)).find(drawn),
                    b && getComputedStyle(b).backgroundColor]; })""", [p[:4] for p in DARK_PAIRS])
        for (what, *_, least), (fg, bg) in zip(DARK_PAIRS, colours, strict=True):
            assert fg and bg, f"{what}: not on the page"
            # The ground is dark (the light theme's is near white), and what sits on it stands out.
            assert _luminance(_rgb(bg)) < 0.03, f"{what}: its background {bg} is not dark"
            ratio = contrast(_rgb(fg), _rgb(bg))
            assert ratio >= least, f"{what}: {fg} on {bg} has contrast {ratio:.1f}, under {least}"
        # The memory map is a canvas: it must take the dark palette too, not keep the light one.
        state = server.get(f"/api/sessions/{page.url.split('/s/')[1].split('?')[0]}/state")
        normal = state["zones"][0]
        hinted = set(normal["hinted"])
        plain = [pfn for a in normal["free_area"] for blocks in a["free_list"].values() for pfn in blocks
                 if pfn not in hinted]
        assert plain, "the scenario left no ordinary free block"
        free_var = page.evaluate("() => getComputedStyle(document.documentElement).getPropertyValue('--free')")
        # The block's second page (the first carries its pfn in writing).
        assert map_pixel(page, plain[0] + 1) == list(_rgb(free_var)), "the map's free cells are not the dark --free"
        assert _luminance(_rgb(free_var)) < 0.1
        shot(page, "dark-1600x1000")
    finally:
        page.context.close()


@pytest.mark.parametrize(("width", "height", "scale"), [(3840, 2160, 1), (1920, 1080, 2)])
def test_4k(browser: Browser, server: LabServer, width: int, height: int, scale: float) -> None:
    page = open_session(browser, server, {"preset": "default"}, width, height, "?projector=0", scale)
    try:
        # Type follows the screen: on a 4K panel at scale 1 the text is not 12 px.
        size = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
        assert size >= (24 if scale == 1 else 15)
        # The map canvas is drawn at the screen's resolution.
        page.wait_for_function("s => { const c = window.hintingLab.memmap.canvas;"
                               " return c.width >= Math.floor(c.getBoundingClientRect().width * s) - 1; }", arg=scale)
        shot(page, f"4k-{width}x{height}@{scale}x")
    finally:
        page.context.close()


def test_one_gib_under_a_workload(browser: Browser, server: LabServer) -> None:
    page = open_session(browser, server, {"preset": "one-gib"}, 1600, 1000, "?projector=0&theme=light")
    try:
        page.get_by_test_id("hinting-start").click()
        page.get_by_test_id("workload-rate").fill("1000")
        page.get_by_test_id("workload-toggle").click()
        page.get_by_test_id("clock-toggle").click()
        # Run until the workload has churned the low orders into long lists.
        page.wait_for_function("() => window.hintingLab.store.zone('Normal').alloc.size > 400", timeout=30_000)
        page.get_by_test_id("workload-toggle").click()
        page.get_by_test_id("clock-toggle").click()
        expect(page.get_by_test_id("clock-toggle")).to_have_attribute("data-running", "false")
        # Order 10 holds ~250 Hinted blocks: summarised, head, tail and boundary kept.
        o10 = page.locator('[data-testid="free-list"][data-order="10"][data-migratetype="Movable"]')
        expect(o10.get_by_test_id("elided")).to_have_count(1)
        count = int(o10.get_attribute("data-count") or 0)
        shown = o10.get_by_test_id("block").count()
        elided = int(o10.get_by_test_id("elided").get_attribute("data-count") or 0)
        assert shown + elided == count
        # Nothing in a cell runs past its edge.
        over = page.evaluate("""() => [...document.querySelectorAll('[data-testid=free-list]')]
            .filter(el => !el.hidden && el.offsetParent && el.scrollWidth > el.clientWidth + 1)
            .map(el => [el.dataset.order, el.dataset.migratetype, el.scrollWidth, el.clientWidth,
                        [...el.children].map(c => c.className + ':' + c.offsetWidth).join(' ')])""")
        assert not over, over
        # The laptop layout loads no other layout's styles, and shows none of their parts (a slide's play bar).
        expect(page.get_by_test_id("embed-bar")).to_be_hidden()
        assert page.evaluate("() => !document.getElementById('layouts-css')")
        shot(page, "one-gib-1600x1000")
        # The wheel zooms the map into the allocated end of the zone.
        for step in (2, 4, 8, 16):
            page.mouse.move(*map_point(page, 262144 - 3000))
            page.mouse.wheel(0, -100)
            expect(page.get_by_test_id("map-zoom")).to_contain_text(f"zoom ×{step} ")
        shot(page, "one-gib-zoomed")
        page.keyboard.press("0")
        expect(page.get_by_test_id("map-zoom")).not_to_contain_text("zoom ×")
    finally:
        page.context.close()


# What loads with the dashboard is measured in the browser; everything else under static/ must belong to a
# feature that loads on first use, each with its own budget (KiB, uncompressed).  A file in neither fails: a
# new module either joins the first load (and its budget) or is imported lazily under a named feature.
# Since issue 9: the full event log, the projector, embed and phone layouts, the explainer; since issue 11 (+617
# bytes): the Compare button, the line that loads compare/ on first use, and the page panel's hl:block-select.
FIRST_LOAD_KIB = 320  # since issue 9 (the full event log, the explainer); 310 KiB once the layouts load on use
FIRST_LOAD_WIRE_KIB = 112  # what crosses the network (gzip): 200 phones on a conference network
LAZY_FEATURES: dict[str, tuple[tuple[str, ...], int]] = {
    "export dialog": (("js/export/",), 72),
    "share dialog and QR code": (("js/qr.js", "js/share.js"), 32),
    "tours menu": (("js/toursmenu.js",), 8),
    "projector, embed and phone layouts": (("css/layouts.css",), 16),
    "tour predictions": (("js/predict.js", "css/predict.css"), 16),  # questions, reveals, the claim table, keys
    "seed viewer": (("js/seedview.js",), 8),
    "live host page and trace dialog": (("live.html", "css/live.css", "js/live/"), 48),
    "compare mode and the zone-lock lane": (("js/compare/", "css/compare.css"), 80),
    "page panel": (("js/pagepanel/", "css/pagepanel.css"), 32),
    "free page reporting's words": (("js/terms-reporting.js",), 4),  # a reporting session's first frame waits for them
}


def first_load(page: Page, server: LabServer) -> dict[str, tuple[int, int]]:
    """Static path -> (decoded bytes, bytes on the wire) of what the dashboard fetched to become live."""
    got: dict[str, tuple[int, int]] = {}

    def on_response(response: Any) -> None:
        url = response.url
        if url.startswith(server.url) and "/api/" not in url and "/ws/" not in url:
            path = url[len(server.url):].split("?")[0]
            got[path] = (len(response.body()), response.request.sizes()["responseBodySize"])

    page.on("response", on_response)
    open_lab(page, server)
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", on_response)
    return got


def test_static_assets_stay_small(page: Page, server: LabServer) -> None:
    loaded = first_load(page, server)
    decoded = sum(d for d, _ in loaded.values())
    wire = sum(w for _, w in loaded.values())
    assert decoded < FIRST_LOAD_KIB * 1024, f"the dashboard loads {decoded / 1024:.0f} KiB: {sorted(loaded)}"
    assert wire < FIRST_LOAD_WIRE_KIB * 1024, f"the dashboard moves {wire / 1024:.0f} KiB over the network"
    plain = [path for path, (d, w) in loaded.items() if d > 2048 and w > d * 0.6]
    assert not plain, f"sent uncompressed: {plain}"
    files = [p for p in (ROOT / "static").rglob("*") if p.is_file() and "tests" not in p.relative_to(ROOT).parts]
    unaccounted = []
    for p in files:
        rel = p.relative_to(ROOT / "static").as_posix()
        if f"/static/{rel}" in loaded or rel in ("index.html", "js/package.json"):  # package.json: for Node
            continue
        if not any(rel.startswith(prefixes) for prefixes, _ in LAZY_FEATURES.values()):
            unaccounted.append(rel)
    assert not unaccounted, f"neither loaded with the page nor part of a lazily loaded feature: {unaccounted}"
    for feature, (prefixes, kib) in LAZY_FEATURES.items():
        size = sum(p.stat().st_size for p in files if p.relative_to(ROOT / "static").as_posix().startswith(prefixes))
        assert 0 < size < kib * 1024, f"{feature}: {size / 1024:.0f} KiB (budget {kib} KiB)"
    # No network beyond the server: no absolute URLs to elsewhere.
    for p in files:
        text = p.read_text(errors="replace")
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text, p


TOPBAR_OVERLAPS_JS = """() => {
  const bar = document.getElementById('topbar');
  const items = [...bar.querySelectorAll(':scope > *, .brand h1, .zone-tab')]
    .filter(e => e.offsetParent && e.getBoundingClientRect().width > 0);
  const r = e => e.getBoundingClientRect();
  const out = [];
  for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) {
    const a = items[i], b = items[j];
    if (a.contains(b) || b.contains(a)) continue;
    const p = r(a), q = r(b);
    const wide = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const high = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (wide > 1 && high > 1)
      out.push([a.className || a.id || a.tagName, b.className || b.id || b.tagName]);
  }
  return {overlaps: out, overflow: bar.scrollWidth - bar.clientWidth};
}"""


@pytest.mark.parametrize("design", ["seed", "reporting"])
@pytest.mark.parametrize(("width", "height"), [(1600, 1000), (1366, 768)])
def test_the_top_bar_never_overlaps_itself(browser: Browser, server: LabServer, design: str, width: int,
                                          height: int) -> None:
    """Two zones' tabs, the design's own toggle label and every control fit a laptop's top bar, none over another."""
    doc = json.loads((ROOT / "app" / "presets" / "two-zones-4gib.json").read_text())
    if design == "reporting":
        doc["hinting"] = {"design": "reporting", "min_order": 9, "capacity": 32, "delay_ms": 100}
    page = open_session(browser, server, {"scenario": doc}, width, height, "?projector=0")
    try:
        expect(page.get_by_test_id("zone-tabs").locator(".zone-tab")).to_have_count(2)
        shot(page, f"topbar-{design}-{width}x{height}")
        got = page.evaluate(TOPBAR_OVERLAPS_JS)
        assert got["overlaps"] == [] and got["overflow"] <= 1, got
        assert page.locator(".brand h1").evaluate("h => h.scrollWidth <= h.clientWidth + 1 && "
                                                  "h.getBoundingClientRect().width > 40"), "the brand's name is cut"
    finally:
        page.context.close()
