"""Classroom and stage (issue 9): the layouts where the lab is used, measured, and a log that loses nothing.

At each size the page is measured as a person would look at it: no panel
covers another (bounding boxes), every order row of the zone on screen can be
seen (elementFromPoint at its centre finds it, so nothing covers or clips it),
nothing scrolls sideways on the phone, no text under 15 px on a projector.
The screenshots (test-artifacts/browser-classroom-*.png) were judged by eye
against ../shared/design's mockups.

Test ids used here:
  panel-NAME        every panel: section.panel[data-testid=panel-zone|freearea|batch|memmap|host|events|act|...]
  order-row         an order's gutter (data-orders="o"), or the one line the rows below min_order fold into
  zone-config       projector header: hwm · min_order · capacity
  event             a log row (data-kind, data-category, data-step; data-here on the step at the position)
  log-note          the log's line at the position after time travel
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Browser, Frame, Page, expect

from core import parse_scenario
from core.eventlog import all_events

from .conftest import ARTIFACTS, READY_JS, LabServer, controller_page, get_json, open_lab, sid

pytestmark = pytest.mark.browser

EMBED = "?embed=1&autoplay=1&from=3&to=20&speed=2&preset=tour-boundary-climbs"  # README's example

# Every visible panel's box, every order row of the zone on screen checked at its centre, the smallest text.
MEASURE_JS = """() => {
  const vis = (el) => { if (!el || !el.getClientRects().length) return false;
    const cs = getComputedStyle(el); return cs.visibility !== 'hidden' && cs.display !== 'none'; };
  const box = (el) => { const r = el.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; };
  const panels = [...document.querySelectorAll('section.panel')].filter(vis)
    .map((el) => ({id: el.dataset.testid, ...box(el)}))
    .filter((p) => p.w > 0 && p.h > 0);
  const zone = window.hintingLab.ui.zone;
  const fz = document.querySelector(`.fa-zone[data-zone="${zone}"]`);
  const maxOrder = window.hintingLab.store.config.max_order;
  const rows = [];
  for (let o = 0; o < maxOrder; o++) {
    const els = [...fz.querySelectorAll(`[data-testid=order-row]`)]
      .filter((el) => el.dataset.orders.split(' ').includes(String(o)) && vis(el));
    const el = els[0];
    if (!el) { rows.push({order: o, shown: false}); continue; }
    el.scrollIntoView({block: 'nearest', inline: 'nearest'});
    const r = el.getBoundingClientRect();
    const cx = r.x + Math.min(r.width / 2, 20), cy = r.y + r.height / 2;
    const hit = document.elementFromPoint(cx, cy);
    const inView = r.y >= 0 && r.bottom <= innerHeight + 0.5 && r.x >= 0 && r.right <= innerWidth + 0.5;
    rows.push({order: o, shown: true, folded: el.classList.contains('fa-fold'),
      hit: !!hit && (el === hit || el.contains(hit)),
      inView, y: r.y, h: r.height, what: hit ? hit.className || hit.tagName : null});
  }
  window.scrollTo(0, 0);
  let minFont = 99, small = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!vis(el) || el.closest('[hidden], .overlay')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const f = parseFloat(getComputedStyle(el).fontSize);
    if (f < minFont) minFont = f;
    if (f < 15 && small.length < 8) {
      small.push(`${el.tagName}.${el.className}: ${f}px "${el.textContent.trim().slice(0, 30)}"`);
    }
  }
  const se = document.scrollingElement;
  return {panels, rows, minFont, small, scrollW: se.scrollWidth, scrollH: se.scrollHeight,
    vw: innerWidth, vh: innerHeight};
}"""


def overlaps(panels: list[dict[str, Any]]) -> list[str]:
    out = []
    for i, a in enumerate(panels):
        for b in panels[i + 1:]:
            w = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
            h = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
            if w > 1 and h > 1:
                out.append(f"{a['id']} and {b['id']} overlap by {w:.0f}x{h:.0f}")
    return out


def check_layout(m: dict[str, Any], *, projector: bool = False, fit_screen: bool = True) -> None:
    assert not overlaps(m["panels"]), overlaps(m["panels"])
    bad = [r for r in m["rows"] if not r["shown"] or not r["hit"] or not r["inView"]]
    assert not bad, f"order rows not visible or covered: {bad}"
    assert m["scrollW"] <= m["vw"], f"the page scrolls sideways ({m['scrollW']} > {m['vw']})"
    if fit_screen:
        assert m["scrollH"] <= m["vh"] + 1, f"the page scrolls ({m['scrollH']} > {m['vh']})"
        below = [p for p in m["panels"] if p["y"] + p["h"] > m["vh"] + 1]
        assert not below, below
    if projector:
        assert m["minFont"] >= 15, m["small"]


def shot(page: Page, name: str, full: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"browser-classroom-{name}.png"), full_page=full)


def settle(page: Page) -> None:
    """Layout settles (fonts, folding, the map's size) within a few frames."""
    page.wait_for_function("() => new Promise((r) => requestAnimationFrame(() => "
                           "requestAnimationFrame(() => r(true))))")
    page.wait_for_timeout(300)


def open_as_controller(browser: Browser, server: LabServer, preset: str, w: int, h: int, query: str = "") -> Page:
    _ctx, page, s = controller_page(browser, server, {"preset": preset}, {"width": w, "height": h})
    page.goto(f"{server.url}/s/{s['id']}{query}")
    page.wait_for_function(READY_JS, polling="raf", timeout=15_000)
    return page


def test_laptop_1600x1000(browser: Browser, server: LabServer) -> None:
    page = open_as_controller(browser, server, "default", 1600, 1000, "?projector=0&theme=light")
    try:
        page.keyboard.press("h")
        work = page.locator('[data-testid="zone"][data-zone="DMA32"] [data-testid="work"]')
        for phase in ("react", "drain", "react"):  # fill, react, drain (and the next fill)
            page.keyboard.press("s")
            expect(work).to_have_attribute("data-work", phase)
        settle(page)
        m = page.evaluate(MEASURE_JS)
        check_layout(m)
        assert not any(r["folded"] for r in m["rows"]), "a laptop shows every order row in full"
        # The contract: every panel is a section.panel named panel-NAME.
        names = page.evaluate("() => [...document.querySelectorAll('section.panel')].map((p) => p.dataset.testid)")
        panels = ("zone", "freearea", "batch", "memmap", "host", "events", "act", "inspector", "tour", "timeline",
                  "notes")
        assert sorted(names) == sorted(f"panel-{n}" for n in panels), names
        # Legible: Hinted pfns bold; boundary flags at least 11 px in solid ink.
        flags = page.evaluate("""() => [...document.querySelectorAll('.fa-zone:not([hidden]) .bnd .flag')].map((f) => {
          const cs = getComputedStyle(f); return [parseFloat(cs.fontSize), cs.color, +cs.fontWeight]; })""")
        assert flags and all(f[0] >= 11 and f[2] >= 700 for f in flags), flags
        hinted = page.evaluate("""() => {
          const b = document.querySelector('.fa-zone:not([hidden]) .blk[data-hinted=true]');
          const cs = getComputedStyle(b);
          return [+cs.fontWeight, parseFloat(cs.fontSize), cs.paintOrder, parseFloat(cs.webkitTextStrokeWidth)]; }""")
        assert hinted[0] >= 800 and hinted[1] >= 12 and hinted[2].startswith("stroke") and hinted[3] > 0, hinted
        shot(page, "1600x1000")
    finally:
        page.context.close()


@pytest.mark.parametrize(("preset", "w", "h"),
                         [("default", 1280, 720), ("two-zones-4gib", 1280, 720), ("default", 1920, 1080)])
def test_projector_fits(browser: Browser, server: LabServer, preset: str, w: int, h: int) -> None:
    page = open_as_controller(browser, server, preset, w, h, "?projector=1&theme=light")
    try:
        page.keyboard.press("h")  # hinting on: work pending, a countdown
        head = page.locator(".zone-head:not([hidden])")
        expect(head.get_by_test_id("due").locator(".bar")).to_be_visible()
        expect(head.get_by_test_id("zone-config")).to_be_visible()
        cfg = get_json(server, f"/api/sessions/{sid(page)}/state")["config"]["hinting"]
        want = f"{cfg['hwm']} · {cfg['min_order']} · {cfg['capacity']}"
        expect(head.get_by_test_id("zone-config")).to_contain_text(want)
        settle(page)
        m = page.evaluate(MEASURE_JS)
        check_layout(m, projector=True)
        # The last three events, each in full view.
        seen = page.evaluate("""() => [...document.querySelectorAll('#ev-rows > .ev')]
          .filter((r) => r.getClientRects().length)
          .map((r) => { const b = r.getBoundingClientRect();
            const hit = document.elementFromPoint(b.x + 10, b.y + b.height / 2);
            const box = document.getElementById('ev-list').getBoundingClientRect();
            return r.contains(hit) && b.top >= box.top - 1 && b.bottom <= box.bottom + 1; })""")
        assert len(seen) == 3 and all(seen), seen
        shot(page, f"projector-{preset}-{w}x{h}")
    finally:
        page.context.close()


def embed_frame(page: Page) -> Frame:
    frame = page.frames[1]
    frame.wait_for_function("() => document.documentElement.dataset.opened === 'true'", timeout=15_000)
    return frame


@pytest.mark.parametrize(("w", "h"), [(800, 450), (960, 540)])
def test_embed_in_a_slide(browser: Browser, server: LabServer, w: int, h: int) -> None:
    ctx = browser.new_context(viewport={"width": w + 40, "height": h + 40})
    page = ctx.new_page()
    try:
        page.set_content(f'<body style="margin:20px;background:#ddd"><iframe src="{server.url}/{EMBED}" width="{w}" '
                         f'height="{h}" style="border:0"></iframe></body>')
        frame = embed_frame(page)
        # from=3: it starts at the tour's third step and counts the tour's 9 steps, whatever the history holds.
        frame.wait_for_function("() => /^tour step [3-9] \\/ 9$/"
                                ".test(document.querySelector('[data-testid=embed-step]').textContent)",
                                timeout=15_000)
        totals = set()
        for _ in range(6):
            totals.add(frame.get_by_test_id("embed-step").text_content().split("/")[1].strip())
            say = frame.get_by_test_id("tour-say").text_content()
            assert "setup is not complete" not in say
            page.wait_for_timeout(250)
        assert totals == {"9"}, totals
        m = frame.evaluate(MEASURE_JS)
        check_layout(m, projector=True)
        expect(frame.get_by_test_id("tour-say")).to_be_visible()
        shot(page, f"embed-{w}x{h}")
    finally:
        ctx.close()


def test_phone_audience(browser: Browser, server: LabServer) -> None:
    ctx, presenter, s = controller_page(browser, server, {"preset": "tour-boundary-climbs"},
                                        {"width": 1280, "height": 720})
    phone_ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                    has_touch=True)
    try:
        presenter.goto(f"{server.url}/s/{s['id']}")
        presenter.wait_for_function(READY_JS, polling="raf", timeout=15_000)
        for p in range(5):
            presenter.keyboard.press("n")
            expect(presenter.get_by_test_id("tour-progress")).to_have_attribute("data-pos", str(p + 1))
        phone = phone_ctx.new_page()
        phone.goto(f"{server.url}/s/{s['id']}")
        expect(phone.get_by_test_id("connection")).to_have_text("live")
        expect(phone.locator("html")).to_have_attribute("data-phone", "1")
        expect(phone.get_by_test_id("tour-progress")).to_have_attribute("data-pos", "5")
        settle(phone)
        m = phone.evaluate(MEASURE_JS)
        check_layout(m, projector=True, fit_screen=False)
        # One column, narrative first: tour, then the lamps, then the free lists.
        tops = {p["id"]: p["y"] for p in m["panels"]}
        assert tops["panel-tour"] < tops["panel-zone"] < tops["panel-freearea"], tops
        assert all(p["x"] >= 0 and p["x"] + p["w"] <= 390 for p in m["panels"]), m["panels"]
        # The rows below min_order are one line; empty migratetype columns are hidden.
        assert [r["folded"] for r in m["rows"] if r["order"] < 2] == [True, True]
        cols = phone.evaluate("""() => [...document.querySelectorAll('.fa-zone:not([hidden]) .fa-colhead[data-mt]')]
          .filter((c) => c.getClientRects().length).map((c) => c.dataset.mt)""")
        assert cols == ["Movable"], cols
        # No control a watcher cannot use; one big Raise hand.
        disabled = phone.evaluate("""() => [...document.querySelectorAll('button, select, input')]
          .filter((e) => e.getClientRects().length && e.disabled)
          .map((e) => e.id || e.dataset.testid || e.textContent)""")
        assert disabled == [], disabled
        hand = phone.get_by_test_id("raise-hand").bounding_box()
        assert hand and hand["width"] >= 300 and hand["height"] >= 44
        blocks = phone.evaluate("""() => [...document.querySelectorAll('.fa-zone:not([hidden]) .blk')]
          .map((b) => b.offsetWidth)""")
        assert blocks and min(blocks) >= 44, blocks
        shot(phone, "phone-390x844")
        shot(phone, "phone-390x844-full", full=True)
    finally:
        phone_ctx.close()
        ctx.close()


def replay_events(server: LabServer, session: str) -> list[dict[str, Any]]:
    """Every event of the session's history, from a machine replayed from scratch here (no server involved)."""
    return all_events(parse_scenario(get_json(server, f"/api/sessions/{session}/scenario")))


def test_a_run_loses_no_event(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    page.get_by_test_id("stepping-auto").click()
    page.get_by_test_id("hinting-start").click()
    page.get_by_test_id("workload-rate").fill("400")
    start = int(page.get_by_test_id("timeline-bar").get_attribute("data-cursor") or 0)
    page.get_by_test_id("workload-toggle").click()
    page.get_by_test_id("clock-toggle").click()
    # While it runs, deltas carry only each frame's newest events: the log knows it is missing some.
    page.wait_for_function("() => window.hintingLab.events.missingFrom !== null", timeout=10_000)
    page.wait_for_timeout(2000)
    page.get_by_test_id("clock-toggle").click()
    page.get_by_test_id("workload-toggle").click()
    expect(page.get_by_test_id("workload-toggle")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_test_id("clock-toggle")).to_have_attribute("data-running", "false")
    # On pause the log fetches every event of the run.
    page.wait_for_function("() => window.hintingLab.events.missingFrom === null", timeout=15_000)
    end = int(page.get_by_test_id("timeline-bar").get_attribute("data-cursor") or 0)
    assert end - start > 200, "the run made many steps"
    want = [(e["step"], e["kind"], e["text"]) for e in replay_events(server, sid(page))
            if e["kind"] in ("boundary_add", "boundary_del", "populate") and start <= e["step"] < end]
    got = page.evaluate("""([a, b]) => window.hintingLab.events.events()
      .filter((e) => ['boundary_add', 'boundary_del', 'populate'].includes(e.kind) && e.step >= a && e.step < b)
      .map((e) => [e.step, e.kind, e.text])""", [start, end])
    assert len(want) >= 10, "hinting cycles moved the boundaries"
    assert [tuple(g) for g in got] == want
    # The boundary filter shows every boundary event (those from before the run too), quiet ones aside: those
    # wait for "why not" (the seed's get_unhinted_tail saying which tail it gave, for one).
    total = page.evaluate("() => window.hintingLab.events.events().filter((e) => "
                          "e.category === 'boundary' && !e.quiet).length")
    page.get_by_test_id("event-filter-bnd").click()
    expect(page.locator('[data-testid="event"][data-category="boundary"]')).to_have_count(min(total, 250))
    shot(page, "log-after-run")


def test_the_running_clock_is_one_updating_row(page: Page, server: LabServer) -> None:
    open_lab(page, server, "tiny")
    page.get_by_test_id("clock-toggle").click()
    page.wait_for_function("() => +document.getElementById('vtime').textContent.replace(/,/g, '') > 300",
                           timeout=10_000)
    page.get_by_test_id("clock-toggle").click()
    expect(page.get_by_test_id("clock-toggle")).to_have_attribute("data-running", "false")
    page.wait_for_function("() => window.hintingLab.events.missingFrom === null")
    adv = page.locator('[data-testid="event"][data-kind="step"]')
    expect(adv).to_have_count(1)
    expect(adv).to_contain_text("advance")
    ms = int("".join(c for c in adv.text_content().split("advance")[1].split("ms")[0] if c.isdigit()))
    assert ms > 300, adv.text_content()


def test_after_time_travel_the_log_shows_the_steps_around_the_position(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    n = int(page.get_by_test_id("timeline-bar").get_attribute("data-length") or 0) + 8
    for _ in range(6):
        page.get_by_test_id("advance-10").click()
    page.get_by_test_id("hinting-start").click()
    page.get_by_test_id("step").click()
    expect(page.get_by_test_id("timeline-bar")).to_have_attribute("data-length", str(n))
    page.get_by_test_id("timeline-step").fill(str(n - 3))
    page.get_by_test_id("timeline-step").press("Enter")
    expect(page.get_by_test_id("timeline-bar")).to_have_attribute("data-cursor", str(n - 3))
    note = page.get_by_test_id("log-note")
    expect(note).to_contain_text(f"at step {n - 3} of {n}")
    here = page.locator('[data-testid="event"][data-here="true"]')
    expect(here.first).to_be_visible()
    assert {here.nth(i).get_attribute("data-step") for i in range(here.count())} == {str(n - 4)}
    # Before the note: the steps that led here; after it, the kept later ones, each with its events.
    steps = page.evaluate("""() => { const rows = [...document.querySelectorAll('#ev-rows > .ev')];
      const at = rows.findIndex((r) => r.dataset.testid === 'log-note');
      return [rows.slice(0, at).map((r) => +r.dataset.step).filter((s) => !isNaN(s)),
              rows.slice(at + 1).map((r) => +r.dataset.step).filter((s) => !isNaN(s))]; }""")
    assert steps[0] and max(steps[0]) == n - 4 and steps[1] and min(steps[1]) == n - 3 and max(steps[1]) == n - 1, steps
    shot(page, "log-after-travel")


def test_refused_steps_stay_out_of_undo_and_undo_stops_at_the_start(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    start = int(page.get_by_test_id("timeline-bar").get_attribute("data-length") or 0)
    expect(page.get_by_test_id("undo")).to_be_disabled()  # nothing since the session's start
    page.get_by_test_id("alloc-submit").click()
    expect(page.get_by_test_id("timeline-bar")).to_have_attribute("data-length", str(start + 1))
    page.get_by_test_id("free-pfn").fill("1")
    page.get_by_test_id("free-submit").click()  # refused: not an allocated block
    expect(page.locator('[data-testid="error"][data-for="free"]')).to_be_visible()
    page.get_by_test_id("undo").click()
    expect(page.get_by_test_id("timeline-bar")).to_have_attribute("data-length", str(start))
    expect(page.get_by_test_id("undo")).to_be_disabled()
    info = json.dumps(get_json(server, f"/api/sessions/{sid(page)}"))
    assert f'"start": {start}' in info
