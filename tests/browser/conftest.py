"""Browser tests: Debian's Chromium driven by Playwright, against a real server.

The server runs as a subprocess (so a test can stop it and start it again on
the same port, as a restart would), one per test module; the browser is
launched once per module from /usr/bin/chromium (Playwright cannot download
browsers here).  Every test saves a screenshot in test-artifacts/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support import CHROMIUM, CHROMIUM_ARGS, LabServer, free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
expect.set_options(timeout=10_000)


ITEMS_JS = """el => [...el.children].map(c => {
  const t = c.dataset.testid;
  if (t === 'block') return c.dataset.pfn + (c.dataset.hinted === 'true' ? '*' : '');
  if (t === 'boundary') return '|';
  if (t === 'elided') return '…' + c.dataset.count;
  return null;
}).filter(x => x !== null)"""

# The colour the memory map drew at pfn (the middle of its cell), as [r, g, b].
PIXEL_JS = """pfn => {
  const m = window.hintingLab.memmap, p = m.pointFor(pfn), d = m.dpr;
  if (!p) return null;
  const px = m.canvas.getContext('2d').getImageData(Math.round(p.x * d), Math.round(p.y * d), 1, 1).data;
  return [px[0], px[1], px[2]];
}"""


# Live, controlling the session, and drawn.
READY_JS = """() => document.documentElement.dataset.ready === 'true'
  && document.getElementById('connection').textContent === 'live'
  && document.querySelector('[data-testid=role]').hidden"""


@pytest.fixture(scope="module")
def server() -> Iterator[LabServer]:
    s = LabServer(free_port()).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"errors in the page: {errors}"


def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"browser-{name}.png"
    page.screenshot(path=str(path))
    return path


def open_lab(page: Page, server: LabServer, preset: str = "default", query: str = "") -> None:
    """Open / (a new session of `preset`) and wait until it is live and controllable."""
    page.goto(f"{server.url}/?preset={preset}{query}")
    # Polled every frame (expect's backoff would add up to a second per page).
    page.wait_for_function(READY_JS, polling="raf", timeout=10_000)
    expect(page.get_by_test_id("connection")).to_have_text("live")
    expect(page.get_by_test_id("role")).to_be_hidden()
    expect(page.locator("html")).to_have_attribute("data-ready", "true")


def free_list(page: Page, zone: str, order: int, mt: str = "Movable"):  # type: ignore[no-untyped-def]
    return page.locator(
        f'[data-testid="free-list"][data-zone="{zone}"][data-order="{order}"][data-migratetype="{mt}"]'
    )


def list_items(page: Page, zone: str, order: int, mt: str = "Movable") -> list[str]:
    """The cell's children in order: "pfn", "pfn*" for a Hinted block, "|" for the boundary, "…N" for elided."""
    return list(free_list(page, zone, order, mt).evaluate(ITEMS_JS))


def map_point(page: Page, pfn: int) -> tuple[float, float]:
    """Page coordinates of pfn on the memory map (the map says where it drew it)."""
    pt = page.evaluate("pfn => window.hintingLab.memmap.pointFor(pfn)", pfn)
    assert pt is not None, f"pfn {pfn} is not on the map"
    box = page.get_by_test_id("memory-map").bounding_box()
    assert box is not None
    return box["x"] + pt["x"], box["y"] + pt["y"]


def map_pixel(page: Page, pfn: int) -> list[int]:
    """The RGB the map drew at pfn, once it is drawn there.

    A resize clears the canvas until the next frame redraws it; a read in between sees transparent black, which
    is no colour the map ever paints, so wait for an opaque pixel rather than read whatever is there.
    """
    drawn = page.wait_for_function("""pfn => {
      const m = window.hintingLab.memmap, p = m.pointFor(pfn), d = m.dpr;
      if (!p) return null;
      const px = m.canvas.getContext('2d').getImageData(Math.round(p.x * d), Math.round(p.y * d), 1, 1).data;
      return px[3] === 255 ? [px[0], px[1], px[2]] : null;
    }""", arg=pfn, polling="raf")
    return list(drawn.json_value())


def get_json(server: LabServer, path: str) -> Any:
    return server.get(path)


def sid(page: Page) -> str:
    """The session id in the page's /s/<id> URL."""
    return page.url.split("/s/")[1].split("?")[0]


def controller_page(browser: Browser, server: LabServer, body: dict[str, Any],
                    viewport: dict[str, int]) -> tuple[Any, Page, dict[str, Any]]:
    """A new browser context holding the control token of a session the server makes from `body`."""
    s = server.create(body)
    ctx = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    ctx.add_init_script(f"sessionStorage.setItem('hl.token.{s['id']}', {json.dumps(s['control_token'])})")
    return ctx, ctx.new_page(), s
