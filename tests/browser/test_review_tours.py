"""The review tours in the browser: listed in their own group, and predict-then-reveal with choices.

Test ids used here (see also test_tours.py):

  tours-group-review   the Tours menu's group of review tours (one per argument), before the lab's own
  tours-group-tours    the lab's own tours
  tour-predict         the question (data-kind="choice"), before the step that answers it
  predict-choice       one choice (data-value: its index); number keys, the arrows and Enter answer too
  tour-reveal          after the step: data-right true/false (empty without an answer)
  reveal-verdict       "✓ Right" / "✗ Not this time" / "Revealed"
  reveal-answer        the right choice; reveal-why: the explanation

Compare mode (seed left, reporting right) is another branch's; until it lands these tours play here in
single-design mode (the seed), which is what this file checks: the player's side of the contract.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from core import parse_scenario, replay

from .conftest import ROOT, LabServer, get_json, open_lab, shot

pytestmark = pytest.mark.browser

PRESETS = ROOT / "app" / "presets"
REVIEW = sorted(p.stem for p in PRESETS.glob("tour-review-*.json"))
TOUR = "tour-review-6-nr-free-pages"  # small and stepping: two questions, four steps apart


def doc_of(name: str) -> dict[str, Any]:
    return dict(json.loads((PRESETS / f"{name}.json").read_text()))


def narrated(name: str) -> list[dict[str, Any]]:
    return [s for s in doc_of(name)["steps"] if not s.get("setup")]


def wait_pos(page: Page, p: int) -> None:
    page.wait_for_function("p => document.querySelector('[data-testid=tour-progress]')?.dataset.pos === String(p)",
                           arg=p, polling="raf", timeout=10_000)


def next_step(page: Page, p: int) -> None:
    page.keyboard.press("n")
    wait_pos(page, p + 1)


def test_the_menu_lists_the_review_tours_in_their_own_group(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    page.get_by_test_id("tours-open").click()
    group = page.get_by_test_id("tours-group-review")
    expect(group).to_contain_text("The review, argument by argument")
    items = group.get_by_test_id("tour-item")
    expect(items).to_have_count(len(REVIEW))
    titles = [doc_of(n)["title"] for n in REVIEW]
    args = [doc_of(n)["review"]["argument"] for n in REVIEW]
    assert args == sorted(args) and [t.split(":")[0] for t in titles] == [f"Review {a}" for a in args]
    for i, title in enumerate(titles):
        expect(items.nth(i)).to_contain_text(title)
    own = page.get_by_test_id("tours-group-tours").get_by_test_id("tour-item")
    expect(own).to_have_count(len(list(PRESETS.glob("tour-*.json"))) - len(REVIEW))
    # The review group comes first.
    assert group.bounding_box()["y"] < page.get_by_test_id("tours-group-tours").bounding_box()["y"]  # type: ignore[index]
    shot(page, "tours-menu-review-group")
    items.nth(REVIEW.index(TOUR)).click()
    expect(page.get_by_test_id("tour")).to_contain_text(doc_of(TOUR)["title"])


def test_predict_then_reveal_with_choices(page: Page, server: LabServer) -> None:
    steps = narrated(TOUR)
    asks = [i for i, s in enumerate(steps) if "choices" in s.get("predict", {})]
    assert len(asks) >= 2
    open_lab(page, server, TOUR)
    for p in range(asks[0]):
        next_step(page, p)
    first = steps[asks[0]]["predict"]
    ask = page.get_by_test_id("tour-predict")
    expect(ask).to_have_attribute("data-kind", "choice")
    expect(ask).to_contain_text(first["question"])
    choices = page.get_by_test_id("predict-choice")
    expect(choices).to_have_count(len(first["choices"]))
    for i, text in enumerate(first["choices"]):
        expect(choices.nth(i)).to_contain_text(text)
    # It stops here: no reveal before an answer, and N says so.
    nxt = page.get_by_test_id("tour-next")
    expect(nxt).to_be_disabled()
    expect(nxt).to_contain_text("Answer first")
    page.keyboard.press("n")
    expect(page.locator('[data-testid="error"][data-for="tour"]')).to_contain_text("answer the question first")
    page.wait_for_timeout(200)
    assert page.get_by_test_id("tour-progress").get_attribute("data-pos") == str(asks[0])
    expect(page.get_by_test_id("tour-reveal")).to_have_count(0)
    shot(page, "review-tour-predict-1600x1000")
    # A wrong answer by its number key: the step plays, the reveal says so and gives the right one.
    wrong = next(i for i in range(len(first["choices"])) if i != first["answer"])
    page.keyboard.press(str(wrong + 1))
    wait_pos(page, asks[0] + 1)
    reveal = page.get_by_test_id("tour-reveal")
    expect(reveal).to_have_attribute("data-right", "false")
    expect(page.get_by_test_id("reveal-verdict")).to_contain_text("Not this time")
    expect(page.get_by_test_id("reveal-answer")).to_have_text(first["choices"][first["answer"]])
    expect(reveal).to_contain_text(f"you said: {first['choices'][wrong]}")
    expect(page.get_by_test_id("reveal-why")).to_have_text(first["reveal"])
    # What the model computed for this question under both designs (the other side is not on screen yet).
    expect(page.get_by_test_id("reveal-model")).to_have_text("the model: seed 12 · reporting 8")
    expect(page.get_by_test_id("tour-say")).to_contain_text(steps[asks[0]]["say"][:40])
    shot(page, "review-tour-reveal-1600x1000")
    # The next question, answered with the arrows and Enter: right this time.
    for p in range(asks[0] + 1, asks[1]):
        next_step(page, p)
    second = steps[asks[1]]["predict"]
    expect(page.get_by_test_id("tour-predict")).to_contain_text(second["question"])
    choices.first.focus()
    for _ in range(second["answer"]):
        page.keyboard.press("ArrowDown")
    expect(choices.nth(second["answer"])).to_be_focused()
    assert page.get_by_test_id("tour-progress").get_attribute("data-pos") == str(asks[1])  # arrows: no travel
    page.keyboard.press("Enter")
    wait_pos(page, asks[1] + 1)
    expect(page.get_by_test_id("tour-reveal")).to_have_attribute("data-right", "true")
    expect(page.get_by_test_id("reveal-verdict")).to_contain_text("Right")
    # Back is time travel: the question comes again with the answer remembered; Next replays the kept step.
    page.get_by_test_id("tour-back").click()
    wait_pos(page, asks[1])
    expect(page.get_by_test_id("predict-guess")).to_contain_text(second["choices"][second["answer"]])
    page.get_by_test_id("tour-next").click()
    wait_pos(page, asks[1] + 1)
    for p in range(asks[1] + 1, len(steps)):
        next_step(page, p)
    expect(page.get_by_test_id("tour-outro")).to_contain_text(doc_of(TOUR)["outro"][:40])
    claim = page.get_by_test_id("tour-claim")
    expect(claim).to_have_attribute("data-ok", "true")
    expect(claim).to_contain_text(doc_of(TOUR)["claim"]["says"])
    expect(claim.locator("tbody tr")).to_have_count(len(doc_of(TOUR)["claim"]["checks"]))
    shot(page, "review-tour-claim-1600x1000")
    # Single-design mode: the session is the seed's replay of the tour.
    sid = page.url.split("/s/")[1].split("?")[0]
    assert get_json(server, f"/api/sessions/{sid}/state") == replay(parse_scenario(doc_of(TOUR)))["state"]


def test_the_audience_on_a_phone_sees_the_question_and_answers_for_itself(
        browser: Browser, page: Page, server: LabServer) -> None:
    steps = narrated(TOUR)
    at = next(i for i, s in enumerate(steps) if "choices" in s.get("predict", {}))
    p = steps[at]["predict"]
    open_lab(page, server, TOUR)
    audience_url = page.url.split("?")[0]
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone = ctx.new_page()
    errors: list[str] = []
    phone.on("pageerror", lambda e: errors.append(str(e)))
    try:
        phone.goto(audience_url)
        expect(phone.get_by_test_id("role")).to_have_text("watching")
        for i in range(at):
            next_step(page, i)
        wait_pos(phone, at)
        expect(phone.get_by_test_id("tour-predict")).to_contain_text(p["question"])
        choice = phone.get_by_test_id("predict-choice").nth(p["answer"])
        box = choice.bounding_box()
        assert box and box["height"] >= 44 and box["x"] + box["width"] <= 390, "a thumb-sized choice on the phone"
        choice.tap()
        expect(choice).to_have_attribute("aria-pressed", "true")
        expect(phone.get_by_test_id("predict-guess")).to_contain_text(p["choices"][p["answer"]])
        phone.get_by_test_id("tour-predict").scroll_into_view_if_needed()
        shot(phone, "review-tour-predict-390x844")
        # The phone's answer stays on the phone: the presenter's question is still open.
        expect(page.get_by_test_id("tour-next")).to_be_disabled()
        page.keyboard.press(str(p["answer"] + 1))
        wait_pos(phone, at + 1)
        expect(phone.get_by_test_id("tour-reveal")).to_have_attribute("data-right", "true")
        phone.get_by_test_id("tour-reveal").scroll_into_view_if_needed()
        shot(phone, "review-tour-reveal-390x844")
    finally:
        ctx.close()
    assert not errors, errors


ON_SCREEN_JS = """b => { const r = b.getBoundingClientRect();
  return r.bottom <= innerHeight && b.contains(document.elementFromPoint(r.x + r.width / 2, r.bottom - 3)); }"""


def test_a_question_on_the_projector_fits_one_screen(browser: Browser, server: LabServer) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    try:
        open_lab(page, server, TOUR, "&projector=1&theme=light")
        at = next(i for i, s in enumerate(narrated(TOUR)) if "choices" in s.get("predict", {}))
        for p in range(at):
            next_step(page, p)
        choices = page.get_by_test_id("predict-choice")
        expect(choices.last).to_be_visible()
        # Each choice is on screen, not scrolled away inside the tour panel, once the layout has settled (the
        # question's styles load on first use: read before they apply, a choice sat lower for a frame).
        on_screen = f"() => [...document.querySelectorAll('[data-testid=predict-choice]')].every({ON_SCREEN_JS})"
        try:
            page.wait_for_function(on_screen, polling="raf", timeout=5_000)
        except PlaywrightTimeout:
            for i in range(choices.count()):
                assert choices.nth(i).evaluate(ON_SCREEN_JS), f"choice {i + 1} is not visible on the projector"
        assert page.evaluate("() => document.scrollingElement.scrollHeight <= window.innerHeight + 1")
        shot(page, "review-tour-predict-projector-1280x720")
    finally:
        ctx.close()


def test_review_1_reveals_what_kdump_makes_of_a_hinted_block(page: Page, server: LabServer) -> None:
    name = "tour-review-1-two-page-types"
    steps = narrated(name)
    at = next(i for i, s in enumerate(steps) if "choices" in s.get("predict", {}))
    open_lab(page, server, name)
    expect(page.get_by_test_id("tour-geometry")).to_contain_text("max_order 5, pageblock_order 2")
    for p in range(at):
        next_step(page, p)
    page.get_by_test_id("predict-choice").nth(steps[at]["predict"]["answer"]).click()
    wait_pos(page, at + 1)
    expect(page.get_by_test_id("tour-reveal")).to_have_attribute("data-right", "true")
    expect(page.get_by_test_id("reveal-model")).to_have_text("the model: seed dumped · reporting excluded_free")
    shot(page, "review-1-reveal-1600x1000")
