"""Time travel in the browser: back, forward, jump, scrub, fork, branches, undo, and a 10,000-step session.

Test ids used here:

  timeline-bar      the strip (data-cursor, data-length, data-branches)
  timeline          its canvas (a slider: click or drag to go there; arrows, Home, End when focused)
  timeline-start / timeline-back / timeline-forward / timeline-end   buttons (keys: ← →)
  timeline-step     the position box (J focuses it; type a step, Enter)
  timeline-length   the history's length
  timeline-past     "past · N later · acting forks", while looking at the past
  undo              undo the last step (U)
  branch-pick / branch-switch / branch-discard   the kept branches
  log-note          the event log's "at step N of M" line after the machine was rebuilt
"""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import Browser, Page, expect

from core import parse_scenario, replay
from tests.support import ten_thousand_steps

from .conftest import LabServer, controller_page, get_json, open_lab, shot, sid

pytestmark = pytest.mark.browser




def cursor(page: Page) -> int:
    return int(page.get_by_test_id("timeline-bar").get_attribute("data-cursor") or -1)


def length(page: Page) -> int:
    return int(page.get_by_test_id("timeline-bar").get_attribute("data-length") or -1)


def wait_at(page: Page, pos: int, total: int | None = None) -> None:
    page.wait_for_function(
        """([p, n]) => { const d = document.querySelector('[data-testid=timeline-bar]').dataset;
             return d.cursor === String(p) && (n === null || d.length === String(n)); }""",
        arg=[pos, total], polling="raf", timeout=10_000)


def state_is_replay_of_prefix(server: LabServer, session: str, pos: int) -> None:
    """The live state equals a replay of the history's first `pos` steps."""
    doc = get_json(server, f"/api/sessions/{session}/scenario")
    live = get_json(server, f"/api/sessions/{session}/state")
    assert live == replay(parse_scenario({**doc, "steps": doc["steps"][:pos]}))["state"]


def test_back_forward_jump_fork_branches_and_undo(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    s = sid(page)
    n0 = length(page)
    assert cursor(page) == n0
    page.get_by_test_id("alloc-zone").select_option("Normal")
    page.get_by_test_id("alloc-order").select_option("5")
    page.get_by_test_id("alloc-submit").click()
    page.get_by_test_id("hinting-start").click()
    page.get_by_test_id("step").click()
    wait_at(page, n0 + 3, n0 + 3)
    expect(page.get_by_test_id("batch").locator('[data-testid="batch-block"]')).to_have_count(4)

    # Back: before the step, the batch is empty again; the future is kept.
    page.get_by_test_id("timeline-back").click()
    wait_at(page, n0 + 2, n0 + 3)
    expect(page.get_by_test_id("batch").locator('[data-testid="batch-block"]')).to_have_count(0)
    expect(page.get_by_test_id("timeline-past")).to_contain_text("1 later")
    expect(page.get_by_test_id("log-note")).to_contain_text(f"at step {n0 + 2} of {n0 + 3}")
    state_is_replay_of_prefix(server, s, n0 + 2)
    # Forward (key →): the step comes back, with its events.
    page.keyboard.press("ArrowRight")
    wait_at(page, n0 + 3)
    expect(page.get_by_test_id("batch").locator('[data-testid="batch-block"]')).to_have_count(4)
    expect(page.get_by_test_id("timeline-past")).to_be_hidden()

    # Jump (J, type, Enter) to a step before the allocation.
    page.keyboard.press("j")
    page.get_by_test_id("timeline-step").fill(str(n0))
    page.keyboard.press("Enter")
    wait_at(page, n0, n0 + 3)
    state_is_replay_of_prefix(server, s, n0)
    o5 = page.locator('[data-testid="free-list"][data-zone="Normal"][data-order="5"]')
    expect(o5.locator('[data-pfn="256"]')).to_have_count(1)
    shot(page, "time-travel-past")

    # Acting in the past forks: the old future is kept as a branch.
    page.get_by_test_id("advance-10").click()
    wait_at(page, n0 + 1, n0 + 1)
    expect(page.get_by_test_id("timeline-bar")).to_have_attribute("data-branches", "1")
    expect(page.get_by_test_id("branch-pick")).to_contain_text("3 steps after step")
    state_is_replay_of_prefix(server, s, n0 + 1)
    shot(page, "time-travel-fork")
    # Switch back to it: the three steps are the history again (and the advance became a branch).
    page.get_by_test_id("branch-switch").click()
    wait_at(page, n0 + 3, n0 + 3)
    expect(page.get_by_test_id("timeline-bar")).to_have_attribute("data-branches", "1")
    expect(page.get_by_test_id("timeline-end")).to_be_disabled()
    expect(page.get_by_test_id("batch").locator('[data-testid="batch-block"]')).to_have_count(4)
    # Discard the other branch.
    page.get_by_test_id("branch-discard").click()
    expect(page.get_by_test_id("timeline-bar")).to_have_attribute("data-branches", "0")
    expect(page.get_by_test_id("branch-pick")).to_be_hidden()

    # Undo (U): the last step is taken back.
    page.keyboard.press("u")
    wait_at(page, n0 + 2, n0 + 2)
    expect(page.get_by_test_id("batch").locator('[data-testid="batch-block"]')).to_have_count(0)
    state_is_replay_of_prefix(server, s, n0 + 2)
    page.get_by_test_id("undo").click()
    wait_at(page, n0 + 1, n0 + 1)
    assert get_json(server, f"/api/sessions/{s}/scenario")["steps"][-1]["do"] == "alloc"


def test_viewers_see_the_timeline_but_cannot_travel(browser: Browser, page: Page, server: LabServer) -> None:
    open_lab(page, server)
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    watcher = ctx.new_page()
    try:
        watcher.goto(page.url)
        expect(watcher.get_by_test_id("connection")).to_have_text("live")
        expect(watcher.get_by_test_id("timeline-back")).to_be_disabled()
        expect(watcher.get_by_test_id("undo")).to_be_disabled()
        expect(watcher.get_by_test_id("timeline")).to_have_attribute("aria-disabled", "true")
        n = length(page)
        page.get_by_test_id("timeline-back").click()
        wait_at(page, n - 1)
        wait_at(watcher, n - 1, n)
        watcher.keyboard.press("ArrowRight")
        expect(watcher.locator('[data-testid="error"][data-for="timeline"]')).to_contain_text("only watches")
    finally:
        ctx.close()


def test_ten_thousand_steps_scrub_and_jump(browser: Browser, server: LabServer) -> None:
    ctx, page, s = controller_page(browser, server, {"scenario": ten_thousand_steps()}, {"width": 1600, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{server.url}/s/{s['id']}")
        expect(page.get_by_test_id("role")).to_be_hidden()
        wait_at(page, 10_000, 10_000)
        canvas = page.get_by_test_id("timeline")
        box = canvas.bounding_box()
        assert box
        y = box["y"] + box["height"] / 2
        # A jump to the middle: a click (the server starts from a checkpoint; how fast: bench/interaction_bench.py).
        page.mouse.click(box["x"] + box["width"] / 2, y)
        page.wait_for_function("() => +document.querySelector('[data-testid=timeline-bar]').dataset.cursor < 6000",
                               polling="raf")
        mid = cursor(page)
        assert 4500 < mid < 5500
        state_is_replay_of_prefix(server, s["id"], mid)
        # A scrub: a quick drag across the strip (120 pointer moves) sends moves at most 20 times a second (every
        # send is timed in the page, by the throttle's own clock reading for it: a reading taken inside the send
        # can come late by a garbage collection's pause, and made one gap read 48.4 ms in CI), one at a time, and
        # ends under the pointer.
        page.evaluate("""() => { const q = window.hintingLab.timeline.throttle, send = q.sendFn; q.times = [];
            q.sendFn = (pos) => { q.times.push(q.last); return send(pos); }; }""")
        page.mouse.move(box["x"] + 20, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] - 40, y, steps=120)
        last = page.evaluate("() => window.hintingLab.timeline.ghost")  # under the pointer (kept while dragging)
        page.mouse.up()
        # Settled: nothing waiting or in flight, and the session is where the pointer let go.
        page.wait_for_function("""() => { const q = window.hintingLab.timeline.throttle;
            return q.want === null && !q.inFlight && !q.timer; }""", polling="raf")
        wait_at(page, last)
        assert page.evaluate("() => window.hintingLab.timeline.ghost") in (None, last)
        times = page.evaluate("() => window.hintingLab.timeline.throttle.times")
        assert len(times) >= 3
        assert min(b - a for a, b in itertools.pairwise(times)) >= 50 - 1, times  # 20 a second
        assert last > 9000
        # Keys on the focused strip: Home and End, one step, ten steps.
        canvas.focus()
        page.keyboard.press("Home")
        wait_at(page, 0)
        page.keyboard.press("Shift+ArrowRight")
        wait_at(page, 10)
        page.keyboard.press("End")
        wait_at(page, 10_000)
        # The page stays light: the strip is one canvas, the log a bounded list.
        assert page.evaluate("() => document.querySelectorAll('*').length") < 5000
        shot(page, "time-travel-10000")
    finally:
        ctx.close()
    assert not errors, errors
