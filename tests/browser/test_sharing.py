"""Code review and slides: permalinks opened elsewhere, stored links, file exports and imports, embed mode.

Test ids used here:

  copy-link         top bar: copy a permalink (key C); no server state, the scenario is in the URL
  export-open       top bar: the share and export dialog (key X)
  export-dialog     the dialog; link-out: the permalink made; dlg-copy-link: make it again
  export-scenario / export-state   JSON downloads; import-open / import-scenario: start over from a scenario file
  export-svg / export-png          the picture shown
  anim-from / anim-to / anim-fps / anim-width / anim-format / export-anim   a range of steps as GIF or WebM
  export-progress / export-status  progress of a long export
  embed-bar / embed-step / embed-play   embed mode's caption (?embed=1), play / pause (Space)
"""

from __future__ import annotations

import json
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from core import parse_scenario, replay

from .conftest import ARTIFACTS, ROOT, LabServer, controller_page, get_json, open_lab, shot, sid

pytestmark = pytest.mark.browser




def wait_opened(page: Page) -> None:
    """A permalink or an embed has been applied (its session made, travelled, its view shown)."""
    page.wait_for_function("() => document.documentElement.dataset.opened === 'true'", polling="raf", timeout=15_000)


def copy_link(page: Page) -> str:
    page.get_by_test_id("copy-link").click()
    page.wait_for_function("() => document.querySelector('[data-testid=link-out]').value !== ''", polling="raf")
    return str(page.get_by_test_id("link-out").input_value())


def test_permalink_reproduces_the_picture_in_a_fresh_browser(browser: Browser, page: Page, server: LabServer) -> None:
    open_lab(page, server)
    page.get_by_test_id("alloc-zone").select_option("Normal")
    page.get_by_test_id("alloc-order").select_option("4")
    page.get_by_test_id("alloc-submit").click()
    page.get_by_test_id("hinting-start").click()
    page.get_by_test_id("step").click()
    page.get_by_test_id("step").click()
    expect(page.locator('[data-testid="zone"][data-zone="DMA32"] [data-testid="work"]')).to_have_attribute(
        "data-work", "drain")
    n = int(page.get_by_test_id("timeline-bar").get_attribute("data-length") or 0)
    # Look at the step before the last one, in DMA32, with the order-5 list selected and the boundary filter on.
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_test_id("timeline-bar")).to_have_attribute("data-cursor", str(n - 1))
    page.keyboard.press("1")
    page.locator('[data-testid="free-list"][data-zone="DMA32"][data-order="5"][data-migratetype="Movable"]').click()
    page.get_by_test_id("event-filter-bnd").click()
    url = copy_link(page)
    assert "#p=" in url and "/s/" not in url and "/l/" not in url
    assert len(url) < 6000
    expected = get_json(server, f"/api/sessions/{sid(page)}/state")
    shot(page, "permalink-source")

    other = browser.new_context(viewport={"width": 1600, "height": 1000})
    try:
        p2 = other.new_page()
        p2.goto(url)
        wait_opened(p2)
        expect(p2).to_have_url(re.compile(r"/s/[A-Za-z0-9_-]+$"))  # the fragment is gone: the session exists now
        expect(p2.get_by_test_id("timeline-bar")).to_have_attribute("data-cursor", str(n - 1))
        expect(p2.get_by_test_id("timeline-bar")).to_have_attribute("data-length", str(n))
        assert sid(p2) != sid(page)
        assert get_json(server, f"/api/sessions/{sid(p2)}/state") == expected
        expect(p2.locator('[data-testid="zone"][data-zone="DMA32"]')).to_be_visible()
        cell = p2.locator('[data-testid="free-list"][data-zone="DMA32"][data-order="5"][data-migratetype="Movable"]')
        expect(cell).to_have_class(re.compile(r"\bsel\b"))
        expect(p2.get_by_test_id("event-filter-bnd")).to_have_attribute("aria-pressed", "true")
        # It is a session of its own: the reviewer can step on from there.
        expect(p2.get_by_test_id("role")).to_be_hidden()
        shot(p2, "permalink-opened")
    finally:
        other.close()


def long_scenario(n: int = 2500) -> dict[str, Any]:
    rnd = random.Random(5)
    steps: list[dict[str, Any]] = []
    live: list[str] = []
    for _ in range(n):
        if live and rnd.random() < 0.45:
            steps.append({"do": "free", "ref": live.pop(rnd.randrange(len(live)))})
        else:
            name = f"{rnd.getrandbits(40):x}"
            steps.append({"do": "alloc", "zone": "Normal", "order": rnd.randrange(3), "migratetype": "Movable",
                          "as": name})
            live.append(name)
    return {"format": "hinting-scenario/1", "title": "a long review",
            "machine": {"max_order": 8, "pageblock_order": 4, "zones": [{"name": "Normal", "pages": 4096}]},
            "hinting": {"min_order": 4, "hwm": 2, "capacity": 8, "delay_ms": 100}, "steps": steps}


def test_a_long_scenario_gets_a_stored_link(browser: Browser, server: LabServer) -> None:
    ctx, page, s = controller_page(browser, server, {"scenario": long_scenario()}, {"width": 1280, "height": 800})
    try:
        page.goto(f"{server.url}/s/{s['id']}")
        expect(page.get_by_test_id("role")).to_be_hidden()
        page.get_by_test_id("timeline-step").fill("1234")
        page.get_by_test_id("timeline-step").press("Enter")
        expect(page.get_by_test_id("timeline-bar")).to_have_attribute("data-cursor", "1234")
        url = copy_link(page)
        assert "/l/" in url and "#" not in url
        expect(page.get_by_test_id("export-dialog").locator("#link-note")).to_contain_text("the server keeps it")
        expected = get_json(server, f"/api/sessions/{s['id']}/state")
        p2 = browser.new_context().new_page()
        try:
            p2.goto(url)
            wait_opened(p2)
            expect(p2.get_by_test_id("timeline-bar")).to_have_attribute("data-cursor", "1234")
            assert get_json(server, f"/api/sessions/{sid(p2)}/state") == expected
        finally:
            p2.context.close()
    finally:
        ctx.close()


def test_a_damaged_link_says_so(page: Page, server: LabServer) -> None:
    page.goto(f"{server.url}/#p=AAAAbroken")
    expect(page.get_by_test_id("banner")).to_contain_text("cannot be opened")
    expect(page.get_by_test_id("banner")).to_contain_text("damaged")


def download(page: Page, testid: str, name: str) -> Path:
    with page.expect_download(timeout=30_000) as info:
        page.get_by_test_id(testid).click()
    path = ARTIFACTS / f"export-{name}"
    info.value.save_as(path)
    return path


def test_exports_open_in_other_tools(page: Page, server: LabServer) -> None:
    open_lab(page, server, "tour-boundary-climbs")
    for p in range(6):
        page.keyboard.press("n")
        expect(page.get_by_test_id("tour-progress")).to_have_attribute("data-pos", str(p + 1))
    page.keyboard.press("x")
    dialog = page.get_by_test_id("export-dialog")
    expect(dialog).to_be_visible()
    shot(page, "export-dialog")
    s = sid(page)
    live = get_json(server, f"/api/sessions/{s}/state")

    scenario = json.loads(download(page, "export-scenario", "scenario.json").read_text())
    assert scenario["format"] == "hinting-scenario/1"
    assert replay(parse_scenario(scenario))["state"] == live  # what `python -m core replay` does with it
    assert json.loads(download(page, "export-state", "state.json").read_text()) == live

    svg = ET.parse(download(page, "export-svg", "view.svg")).getroot()
    assert svg.tag.endswith("svg") and float(svg.get("width") or 0) > 100
    png = Image.open(download(page, "export-png", "view.png"))
    png.load()
    assert png.format == "PNG" and png.width >= 1000

    # Steps 13..19 (the tour's start and its first six steps) as a GIF: seven frames.
    page.get_by_test_id("anim-from").fill("13")
    page.get_by_test_id("anim-to").fill("19")
    page.get_by_test_id("anim-fps").fill("4")
    page.get_by_test_id("anim-width").select_option("800")
    gif = Image.open(download(page, "export-anim", "steps.gif"))
    assert gif.format == "GIF" and gif.n_frames == 7 and gif.width == 800
    # A range the history does not have is refused next to the control, in words.
    page.get_by_test_id("anim-to").fill("99")
    page.get_by_test_id("export-anim").click()
    expect(dialog.locator('[data-testid="error"][data-for="anim"]')).to_contain_text("steps go from 0 to")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_webm_export(page: Page, server: LabServer) -> None:
    open_lab(page, server, "tiny")
    for _ in range(3):
        page.get_by_test_id("advance-10").click()
    expect(page.get_by_test_id("timeline-bar")).to_have_attribute("data-length", "3")
    page.get_by_test_id("export-open").click()
    page.get_by_test_id("anim-from").fill("0")
    page.get_by_test_id("anim-to").fill("3")
    page.get_by_test_id("anim-fps").fill("10")
    page.get_by_test_id("anim-format").select_option("webm")
    if page.evaluate("() => typeof MediaRecorder === 'undefined'"):
        pytest.skip("this Chromium has no MediaRecorder")
    data = download(page, "export-anim", "steps.webm").read_bytes()
    assert data[:4] == b"\x1a\x45\xdf\xa3" and len(data) > 200  # an EBML (Matroska/WebM) file
    assert b"\x42\x82\x84webm" in data[:64]  # whose DocType is webm
    assert b"V_VP8" in data or b"V_VP9" in data  # with a video track a player decodes


def test_import_a_scenario_file(page: Page, server: LabServer, tmp_path: Path) -> None:
    open_lab(page, server)
    doc = json.loads((ROOT / "app" / "presets" / "tour-warm-blocks-first.json").read_text())
    path = tmp_path / "warm.json"
    path.write_text(json.dumps(doc))
    page.keyboard.press("x")
    expect(page.get_by_test_id("export-dialog")).to_be_visible()  # share.js loaded and wired (it loads on first use)
    page.get_by_test_id("import-scenario").set_input_files(str(path))
    expect(page.get_by_test_id("timeline-bar")).to_have_attribute("data-length", str(len(doc["steps"])))
    assert get_json(server, f"/api/sessions/{sid(page)}/state") == replay(parse_scenario(doc))["state"]
    # Not a scenario: refused in words, next to the control.
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "hinting-state/1"}')
    page.keyboard.press("x")
    page.get_by_test_id("import-scenario").set_input_files(str(bad))
    expect(page.locator('[data-testid="error"][data-for="import"]')).to_contain_text("not a hinting-scenario/1")


def test_embed_autoplays_a_tour(browser: Browser, server: LabServer) -> None:
    ctx = browser.new_context(viewport={"width": 960, "height": 600})
    page = ctx.new_page()
    try:
        page.goto(f"{server.url}/?embed=1&autoplay=1&loop=0&speed=20&preset=tour-boundary-climbs")
        wait_opened(page)
        expect(page.get_by_test_id("embed-bar")).to_be_visible()
        expect(page.locator("#topbar")).to_be_hidden()
        expect(page.locator("#act")).to_be_hidden()
        # 13 setup steps, 9 narrated: it plays the tour's 9 steps (to position 22) and stops (loop=0).
        expect(page.get_by_test_id("embed-step")).to_have_text("tour step 9 / 9", timeout=30_000)
        expect(page.get_by_test_id("timeline-bar")).to_have_attribute("data-cursor", "22")
        expect(page.get_by_test_id("embed-play")).to_have_attribute("aria-pressed", "false", timeout=10_000)
        doc = json.loads((ROOT / "app" / "presets" / "tour-boundary-climbs.json").read_text())
        expected = replay(parse_scenario(doc))["state"]
        # The page shows step 22 from the delta that carried it; the server is there too.
        got = get_json(server, f"/api/sessions/{sid(page)}/state")
        for _ in range(50):
            if got == expected:
                break
            page.wait_for_timeout(100)
            got = get_json(server, f"/api/sessions/{sid(page)}/state")
        assert got == expected
        shot(page, "embed-960x600")
    finally:
        ctx.close()


def test_embed_of_a_permalink_plays_a_range(browser: Browser, page: Page, server: LabServer) -> None:
    open_lab(page, server, "tiny")
    for _ in range(6):
        page.get_by_test_id("advance-10").click()
    expect(page.get_by_test_id("timeline-bar")).to_have_attribute("data-length", "6")
    code = copy_link(page).split("#", 1)[1]
    ctx = browser.new_context(viewport={"width": 800, "height": 500})
    p2 = ctx.new_page()
    try:
        p2.goto(f"{server.url}/?embed=1&autoplay=1&from=2&to=5&speed=10&loop=0#{code}")
        wait_opened(p2)
        expect(p2.get_by_test_id("embed-step")).to_have_text("step 5 / 6", timeout=10_000)
        expect(p2.get_by_test_id("vtime")).to_have_text("50.0")
        expect(p2.get_by_test_id("embed-play")).to_have_attribute("aria-pressed", "false")
        # Space pauses and plays again (from the range's start, since it ended).
        p2.keyboard.press(" ")
        expect(p2.get_by_test_id("embed-play")).to_have_attribute("aria-pressed", "true")
    finally:
        ctx.close()



def test_the_page_loads_the_picture_modules_only_when_used(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    loaded = """() => performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
        .filter(e => !e.name.includes('/api/') && !e.name.startsWith('ws'))
        .map(e => ({ name: new URL(e.name).pathname, size: e.decodedBodySize }))"""
    first = page.evaluate(loaded)
    assert not [e for e in first if "/export/" in e["name"] or e["name"].endswith("/qr.js")]
    assert sum(e["size"] for e in first) < 320 * 1024, sum(e["size"] for e in first)  # see test_visual
    page.keyboard.press("q")  # the QR code module comes with the present dialog
    expect(page.get_by_test_id("present-qr").locator("svg")).to_have_count(1)
    assert any(e["name"].endswith("/qr.js") for e in page.evaluate(loaded))
