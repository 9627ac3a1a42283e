"""The live host view through --proc-root fixture trees, Simulate this machine, and a trace upload."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import READY_JS, open_lab, shot
from tests.kernel_tree import write_tree
from tests.support import LabServer, free_port

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "kernel"


@pytest.fixture(scope="module")
def tree() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        write_tree(Path(d), 0)
        yield Path(d)


@pytest.fixture(scope="module")
def server(tree: Path) -> Iterator[LabServer]:
    s = LabServer(free_port(), ["--proc-root", str(tree), "--host-refresh-s", "0.3"]).start()
    yield s
    s.stop()


def open_host(page: Page, server: LabServer) -> None:
    page.goto(f"{server.url}/host")
    page.wait_for_function("() => document.documentElement.dataset.ready === 'true'", timeout=15_000)
    expect(page.get_by_test_id("connection")).to_have_text("live")


def test_live_view_draws_the_fixture_machine_and_follows_its_changes(page: Page, server: LabServer,
                                                                      tree: Path) -> None:
    write_tree(tree, 0)
    open_host(page, server)
    expect(page.get_by_test_id("host-kernel")).to_have_text("Linux 6.18.0-fixture")
    expect(page.get_by_test_id("host-zone-tab")).to_have_count(2)
    expect(page.get_by_test_id("host-zone-name")).to_contain_text("Normal")
    sources = page.get_by_test_id("host-source")
    expect(sources.filter(has_text="/proc/kpageflags")).to_have_attribute("data-ok", "true")
    table = page.get_by_test_id("host-free-table")
    expect(table.locator('td[data-order="3"][data-migratetype="Unmovable"]')).to_have_text("1")
    expect(table.locator('td[data-order="2"][data-migratetype="Movable"]')).to_have_text("1")
    # The map is the dashboard's renderer: Reported blocks in the Hinted hatching, free pages in the free colour.
    counts = page.evaluate("() => { const z = window.hostView.store.zone('Normal'); "
                           "return [z.page.filter(c => c === 8).length, z.page.filter(c => c === 0).length]; }")
    assert counts == [1536, 1024 + 8 + 1 + 2 + 4]
    shot(page, "host-live-1600")
    # The tree changes between reads: the page follows without a reload.
    write_tree(tree, 2)
    expect(table.locator('td[data-order="2"][data-migratetype="Movable"]')).to_have_text("3", timeout=10_000)
    expect(page.get_by_test_id("host-read")).to_contain_text("read in")
    page.get_by_test_id("host-zone-tab").filter(has_text="DMA").click()
    expect(page.get_by_test_id("host-zone-name")).to_contain_text("DMA")
    shot(page, "host-live-dma")


def test_host_page_on_small_screens(browser: Browser, server: LabServer) -> None:
    for name, vp in (("projector", {"width": 1280, "height": 720}), ("phone", {"width": 390, "height": 844})):
        ctx = browser.new_context(viewport=vp)  # type: ignore[arg-type]
        pg = ctx.new_page()
        open_host(pg, server)
        expect(pg.get_by_test_id("host-free-table")).to_be_visible()
        shot(pg, f"host-live-{name}")
        ctx.close()


def test_simulate_this_machine_opens_a_session_from_its_state(page: Page, server: LabServer, tree: Path) -> None:
    write_tree(tree, 0)
    open_host(page, server)
    page.get_by_test_id("host-simulate").click()
    page.wait_for_url("**/s/*", timeout=15_000)
    page.wait_for_function(READY_JS, polling="raf", timeout=15_000)
    # The simulated Normal zone has the host's free blocks where kpageflags put them.
    nr_free = page.evaluate("() => window.hintingLab.store.zone('Normal').nrFree")
    assert nr_free[10] == 2 and nr_free[9] == 1 and nr_free[3] == 1 and nr_free[2] == 1
    shot(page, "host-simulated")


def test_trace_upload_with_progress_and_summary_then_time_travel(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    page.get_by_test_id("import-trace-file").set_input_files(str(FIX / "linux-6.18-vm-trace.txt"))
    dialog = page.get_by_test_id("upload-dialog")
    expect(dialog.get_by_test_id("upload-file")).to_have_text("linux-6.18-vm-trace.txt")
    page.get_by_test_id("upload-go").click()
    expect(dialog.get_by_test_id("upload-summary")).to_be_visible(timeout=20_000)
    expect(dialog.get_by_test_id("summary-allocs")).to_have_text("1,020")
    expect(dialog.get_by_test_id("summary-unparsable")).to_have_text("0")
    assert page.get_by_test_id("upload-progress").evaluate("el => el.value") == 1
    shot(page, "trace-upload-summary")
    page.get_by_test_id("upload-open").click()
    page.wait_for_function(READY_JS, polling="raf", timeout=15_000)
    # The summary comes back on the session's page, then the scenario plays like any other.
    expect(page.get_by_test_id("upload-summary")).to_be_visible()
    shot(page, "trace-replayed-summary")
    page.get_by_test_id("upload-close").click()
    expect(page.get_by_test_id("timeline-length")).to_have_text("1,723")
    page.get_by_test_id("timeline-step").fill("100")
    page.get_by_test_id("timeline-step").press("Enter")
    expect(page.get_by_test_id("timeline-past")).to_be_visible()
    shot(page, "trace-replayed-travel")


def test_drop_a_bad_trace_shows_what_was_skipped(page: Page, server: LabServer) -> None:
    open_lab(page, server)
    data = (FIX / "traces" / "v5.3-hand.txt").read_text()
    page.evaluate("""text => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'hand.txt', { type: 'text/plain' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        document.body.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      }
    }""", data)
    page.get_by_test_id("upload-go").click()
    expect(page.get_by_test_id("summary-unparsable")).to_have_text("3", timeout=20_000)
    expect(page.get_by_test_id("upload-summary")).to_contain_text("line 14")
    shot(page, "trace-upload-malformed")
