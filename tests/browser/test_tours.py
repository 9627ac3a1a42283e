"""Guided tours in the browser: each tour plays to its end, step by step, and ends where its replay ends.

Test ids used here (see also test_time_travel.py, test_sharing.py, test_presenting.py):

  tour              the tour panel (data-pos: narrated steps seen)
  tour-progress     "step p / n" (data-pos, data-steps)
  tour-say          the narrative of the step shown (the intro at the start)
  tour-geometry     at the start: the machine's orders, and whether the lesson happens on x86-64
  tour-next         Next / Reveal (key N): plays the tour's next step
  tour-back         Back (key B); tour-restart: back to the tour's start
  tour-predict      "predict, then reveal": the question before a step that asks
  predict-choice    one possible answer (data-value: "head" or a pfn)
  predict-guess     the guess made
  tour-reveal       after the step: where the boundary points (data-right: true/false, empty without a guess)
  tour-outro        the tour's closing text, after its last step
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from core import parse_scenario, replay

from .conftest import ROOT, LabServer, get_json, open_lab, shot

pytestmark = pytest.mark.browser

# The lab's own tours; the review tours (tour-review-*.json, compare mode, multiple-choice predictions) are
# played in test_review_tours.py.
TOURS = sorted(p.stem for p in (ROOT / "app" / "presets").glob("tour-*.json") if not p.stem.startswith("tour-review-"))



def tour_doc(name: str) -> dict[str, Any]:
    return dict(json.loads((ROOT / "app" / "presets" / f"{name}.json").read_text()))


def session_id(page: Page) -> str:
    return page.url.split("/s/")[1].split("?")[0]


def wait_pos(page: Page, p: int) -> None:
    """Wait (polling every frame, not expect's backoff) until the tour shows position p."""
    page.wait_for_function("p => document.querySelector('[data-testid=tour-progress]')?.dataset.pos === String(p)",
                           arg=p, polling="raf", timeout=10_000)


def play_to_the_end(page: Page, steps: int, guess: bool = False) -> list[str]:
    """Press Next until the tour's last step; returns the reveal verdicts seen."""
    verdicts = []
    for p in range(steps):
        wait_pos(page, p)
        if guess and page.get_by_test_id("tour-predict").count():
            page.get_by_test_id("predict-choice").nth(1).click()
            expect(page.get_by_test_id("predict-guess")).to_be_visible()
            page.locator("body").focus()
        page.keyboard.press("n")  # N is Next (the button is clicked in the tests below)
        wait_pos(page, p + 1)
        reveal = page.get_by_test_id("tour-reveal")
        if reveal.count():
            verdicts.append(reveal.get_attribute("data-right") or "")
    return verdicts


def test_tours_are_listed_as_presets() -> None:
    assert len(TOURS) == 16


@pytest.mark.parametrize("name", TOURS)
def test_tour_plays_to_the_end_and_matches_its_replay(page: Page, server: LabServer, name: str) -> None:
    doc = tour_doc(name)
    narrated = [s for s in doc["steps"] if not s.get("setup")]
    open_lab(page, server, name)
    tour = page.get_by_test_id("tour")
    expect(tour).to_be_visible()
    expect(tour).to_contain_text(doc["title"])
    expect(page.get_by_test_id("tour-say")).to_contain_text(doc["intro"][:40])
    expect(page.get_by_test_id("tour-progress")).to_have_attribute("data-steps", str(len(narrated)))
    # At the start: the geometry it runs on, and whether its lesson happens on x86-64.
    m = doc["machine"]
    geometry = page.get_by_test_id("tour-geometry")
    expect(geometry).to_contain_text(f"max_order {m['max_order']}, pageblock_order {m['pageblock_order']}")
    expect(geometry).to_contain_text(doc["x86_64"]["why"][:40])
    if name.startswith("tour-x86-64"):
        shot(page, f"tour-start-{name.removeprefix('tour-')}")
    # The first tour also makes its guesses; the others just watch.
    verdicts = play_to_the_end(page, len(narrated), guess=name == TOURS[0])
    assert len(verdicts) == sum(1 for s in narrated if s.get("predict"))
    if name == TOURS[0]:
        assert all(v in ("true", "false") for v in verdicts)
    expect(page.get_by_test_id("tour-say")).to_contain_text(narrated[-1]["say"][:40])
    expect(page.get_by_test_id("tour-outro")).to_contain_text(doc["outro"][:40])
    expect(page.get_by_test_id("tour-next")).to_be_disabled()
    expect(geometry).to_be_hidden()
    live = get_json(server, f"/api/sessions/{session_id(page)}/state")
    assert live == replay(parse_scenario(doc))["state"]
    shot(page, f"tour-{name.removeprefix('tour-')}")


def test_predict_then_reveal_and_go_back(page: Page, server: LabServer) -> None:
    name = "tour-boundary-climbs"
    doc = tour_doc(name)
    narrated = [s for s in doc["steps"] if not s.get("setup")]
    first_ask = next(i for i, s in enumerate(narrated) if s.get("predict"))
    open_lab(page, server, name)
    for _ in range(first_ask):
        n = int(page.get_by_test_id("tour-progress").get_attribute("data-pos") or 0)
        page.keyboard.press("n")
        expect(page.get_by_test_id("tour-progress")).to_have_attribute("data-pos", str(n + 1))
    ask = page.get_by_test_id("tour-predict")
    expect(ask).to_contain_text(narrated[first_ask]["predict"]["prompt"])
    # The right answer, from the model itself: where the boundary points after the step.
    setup = [s for s in doc["steps"] if s.get("setup")]
    upto = {**doc, "steps": setup + narrated[: first_ask + 1]}
    b = narrated[first_ask]["predict"]["boundary"]
    answer = replay(parse_scenario(upto))["state"]["hinting"]["boundary"][str(b["order"])][b["migratetype"]]
    value = "head" if answer["pfn"] is None else str(answer["pfn"])
    choice = page.locator(f'[data-testid="predict-choice"][data-value="{value}"]')
    choice.click()
    expect(choice).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("tour-next")).to_contain_text("Reveal")
    shot(page, "tour-predict")
    page.get_by_test_id("tour-next").click()
    reveal = page.get_by_test_id("tour-reveal")
    expect(reveal).to_have_attribute("data-right", "true")
    expect(reveal).to_contain_text("Right")
    # The list the question was about is selected.
    expect(page.locator(f'[data-testid="free-list"][data-zone="{b["zone"]}"][data-order="{b["order"]}"]'
                        f'[data-migratetype="{b["migratetype"]}"]')).to_have_class(re.compile(r"\bsel\b"))
    shot(page, "tour-reveal")
    # Back is time travel: the question comes again, with the guess remembered.
    page.get_by_test_id("tour-back").click()
    expect(page.get_by_test_id("tour-progress")).to_have_attribute("data-pos", str(first_ask))
    expect(page.get_by_test_id("predict-guess")).to_contain_text(value if value != "head" else "list head")
    # Next now travels along the kept history instead of adding a step.
    length = page.get_by_test_id("timeline-bar").get_attribute("data-length")
    page.get_by_test_id("tour-next").click()
    expect(page.get_by_test_id("tour-progress")).to_have_attribute("data-pos", str(first_ask + 1))
    expect(page.get_by_test_id("timeline-bar")).to_have_attribute("data-length", length or "")
    page.get_by_test_id("tour-restart").click()
    expect(page.get_by_test_id("tour-progress")).to_have_attribute("data-pos", "0")


def test_a_tour_in_projector_mode_fits_one_screen(browser: Browser, server: LabServer) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    try:
        open_lab(page, server, "tour-frees-land-before-boundary", "&projector=1&theme=light")
        for p in range(3):
            page.keyboard.press("n")
            expect(page.get_by_test_id("tour-progress")).to_have_attribute("data-pos", str(p + 1))
        assert page.evaluate("() => document.scrollingElement.scrollHeight <= window.innerHeight + 1")
        box = page.get_by_test_id("tour").bounding_box()
        assert box and box["y"] + box["height"] <= 720
        shot(page, "tour-projector-1280x720")
    finally:
        ctx.close()


def test_tour_files_are_scenarios() -> None:
    # The presets are what `python -m core replay` reads, teaching fields and all.
    for name in TOURS:
        assert replay(parse_scenario(tour_doc(name)))["state"]["format"] == "hinting-state/1"


def test_leaving_the_tour_path_and_coming_back(page: Page, server: LabServer) -> None:
    name = "tour-warm-blocks-first"
    narrated = [s for s in tour_doc(name)["steps"] if not s.get("setup")]
    open_lab(page, server, name)
    for p in range(2):
        page.keyboard.press("n")
        wait_pos(page, p + 1)
    page.keyboard.press("ArrowLeft")
    wait_pos(page, 1)
    page.get_by_test_id("advance-10").click()  # a step of one's own: the history forks
    off = page.get_by_test_id("tour-off")
    expect(off).to_contain_text("left the tour's path at its step 2")
    shot(page, "tour-off-path")
    off.get_by_role("button").click()
    wait_pos(page, 1)
    expect(page.get_by_test_id("tour-off")).to_have_count(0)
    # Next plays the tour's own step again (forking away from the detour).
    page.keyboard.press("n")
    wait_pos(page, 2)
    expect(page.get_by_test_id("tour-say")).to_contain_text(narrated[1]["say"][:40])
    expect(page.get_by_test_id("tour-off")).to_have_count(0)
    expect(page.get_by_test_id("timeline-bar")).to_have_attribute("data-branches", "2")
