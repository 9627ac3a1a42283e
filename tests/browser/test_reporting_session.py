"""A free page reporting session in the single-design dashboard: it opens, draws and says whose flags it shows.

Free page reporting keeps no REQUESTED/ACTIVE flags per zone, only its
device's prdev->state; the zone header shows that state instead of the
seed's zone->flags (a reporting session once crashed the page here).
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from .conftest import READY_JS, LabServer, controller_page, shot

pytestmark = pytest.mark.browser


def reporting(steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": "hinting-scenario/1", "title": "free page reporting, stepping",
            "machine": {"max_order": 11, "pageblock_order": 9,
                        "zones": [{"name": "DMA32", "pages": 4096}, {"name": "Normal", "pages": 16384}]},
            "hinting": {"design": "reporting", "min_order": 9, "capacity": 4, "delay_ms": 100, "stepping": True},
            "steps": steps}


@pytest.mark.parametrize(("steps", "requested", "active"), [
    ([], "false", "false"),  # registered on hinting_start only: the device is idle
    ([{"do": "hinting_start"}, {"do": "advance", "ms": 100}], "false", "true"),  # a pass stopped mid-zone
])
def test_a_reporting_session_shows_its_device_state(browser: Browser, server: LabServer, steps: list[dict[str, Any]],
                                                    requested: str, active: str) -> None:
    errors: list[str] = []
    ctx, page, s = controller_page(browser, server, {"scenario": reporting(steps)}, {"width": 1600, "height": 1000})
    try:
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server.url}/s/{s['id']}")
        page.wait_for_function(READY_JS, polling="raf", timeout=15_000)
        for zone in ("DMA32", "Normal"):  # prdev->state is the device's: every zone shows the same
            head = page.locator(f'#zone-headers [data-zone="{zone}"]')
            expect(head).to_have_attribute("data-active", active)
            expect(head).to_have_attribute("data-requested", requested)
        shot(page, f"reporting-session-{'active' if active == 'true' else 'idle'}")
    finally:
        ctx.close()
    assert not errors, errors
