"""A kernel page-allocation trace turned into a `hinting-scenario/1` (docs/trace-import.md).

`python -m core import-trace FILE [--design seed|reporting] > scenario.json`

Rules (issue 12, "Trace replay"):

* each `mm_page_alloc` becomes an `alloc` of the same order and migratetype,
  named (`as`) so that the free of the same pfn becomes `free` of that name;
  the simulated allocator picks its own pfns: the trace's pfns only pair
  frees with allocations;
* frees of pfns the trace never saw allocated (allocated before it began)
  are skipped and counted; so are failed allocations, migratetypes and orders
  the model does not have;
* a block the kernel split (`split_page`) and freed page by page is freed
  whole when its last page is freed; an allocation of a pfn the trace still
  holds means its free was not traced (lost events): it is freed first, and
  counted;
* since Linux 5.x a page freed in a batch is traced twice (`mm_page_free`
  then `mm_page_free_batched`); the second is counted as a duplicate; on
  older kernels, where `mm_page_free_batched` is the only event, it frees;
* per-cpu list traffic (`mm_page_pcpu_drain`, `mm_page_alloc_zone_locked`)
  is not replayed: the model has no per-cpu lists (MODEL.md); it is counted
  and explained in the summary;
* lines that do not parse are counted, with their line numbers (the first
  100); nothing aborts the import;
* virtual time follows the trace's timestamps: `advance` steps move the
  clock to `(ts - first ts) * 1000 * time_scale` ms, rounded down, before each
  event; the scenario starts with `hinting_start` and ends with one `advance`
  of the design's delay so the work the last frees asked for runs.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from .config import DEFAULT_MAX_PAGES
from .ftrace import (
    _NULL_PAGES,
    ALLOC,
    EVENT_KINDS,
    FREE,
    FREE_BATCHED,
    PCPU_DRAIN,
    ZONE_LOCKED,
    detect_format,
    parse_line,
)
from .scenario import SCENARIO_FORMAT

MIGRATETYPES = ("Unmovable", "Movable", "Reclaimable")  # the kernel's 0, 1, 2: what an allocation asks for
_MT_NAMES = {str(i): name for i, name in enumerate(MIGRATETYPES)}
_KINDS = {name: i for i, name in enumerate(EVENT_KINDS)}
# The common shape of an event line, tracefs or perf script, from the CPU column on; anything
# else goes through ftrace.parse_line, which knows the rarer layouts and says why a line is bad.
_FAST = re.compile(r"\] +(?:\S{4,5} +)?(\d+\.\d+): +(?:kmem:)?(mm_page_[a-z_]+): page=(\S+) "
                   r"pfn=(0x[0-9a-fA-F]+|\d+) order=(\d+)(?: migratetype=(-?\d+))?(?: gfp_flags=\S*)?"
                   r"(?: percpu_refill=(\d+))?(?: cold=\d+)?\s*$")
DESIGN_DELAY_MS = {"seed": 100, "reporting": 2000}
MIN_PAGES = 1 << 14
MAX_LINE_NUMBERS = 100
ZONE = "Normal"


class Importer:
    """One trace being converted; feed it lines, then ask for the scenario."""

    def __init__(self, *, design: str = "seed", time_scale: float = 1.0, max_order: int = 11,
                 pages: int | None = None, max_pages: int = DEFAULT_MAX_PAGES, zone: str = ZONE) -> None:
        if design not in DESIGN_DELAY_MS:
            raise ValueError(f"design must be seed or reporting, got {design!r}")
        if not time_scale > 0:
            raise ValueError("time_scale must be > 0")
        self.design = design
        self.scale_ms = 1000.0 * time_scale
        self.time_scale = time_scale
        self.max_order = max_order
        self.pages = pages
        self.max_pages = max_pages
        self.zone = zone
        self.steps: list[dict[str, Any]] = [{"do": "hinting_start"}]
        self.lines = 0
        self.events = [0] * len(EVENT_KINDS)
        self.kept = {"alloc": 0, "free": 0, "split_free": 0, "implicit_free": 0}
        self.skipped = {"pre_trace_free": 0, "batched_duplicate": 0, "failed_alloc": 0, "bad_migratetype": 0,
                        "order_too_large": 0, "partial_free": 0}
        self.unparsable = 0
        self.unparsable_lines: list[dict[str, Any]] = []
        self.lost = 0
        self.refill = {"refill": 0, "direct": 0}
        self.first_ts: float | None = None
        self.last_ts: float | None = None
        self.now_ms = 0
        self.backwards = 0
        # real pfn -> [name, order, pages freed so far]
        self.live: dict[int, list[Any]] = {}
        self.just_freed: set[int] = set()  # freed by mm_page_free, not reallocated since
        self.next_name = 0
        self.live_pages = 0
        self.peak_pages = 0

    # --- feeding --------------------------------------------------------------------------

    def feed(self, lines: Iterable[str]) -> None:
        """Convert lines; they continue the lines fed before (line numbers go on).

        The hot loop keeps the importer's counters in local variables (the
        state is written back before anything else reads it) and takes one
        regular expression per line: it must convert 300,000 lines a second.
        """
        steps = self.steps
        append = steps.append
        zone = self.zone
        max_order = self.max_order
        live = self.live
        events = self.events
        fast = _FAST.search
        kinds = _KINDS
        scale = self.scale_ms
        skipped = self.skipped
        kept = self.kept
        just_freed = self.just_freed
        mt_names = _MT_NAMES
        null_pages = _NULL_PAGES
        n = self.lines
        first = self.first_ts
        last = self.last_ts
        now = self.now_ms
        live_pages = self.live_pages
        peak = self.peak_pages
        next_name = self.next_name

        def save() -> None:
            self.lines, self.first_ts, self.last_ts, self.now_ms = n, first, last, now
            self.live_pages, self.peak_pages, self.next_name = live_pages, peak, next_name

        for line in lines:
            n += 1
            m = fast(line)
            if m is None:
                save()
                self._slow(line)
                first, last, now, live_pages, peak, next_name = (self.first_ts, self.last_ts, self.now_ms,
                                                                  self.live_pages, self.peak_pages, self.next_name)
                continue
            ts_s, name, page, pfn_s, order_s, mt_s, refill_s = m.groups()
            kind = kinds.get(name)
            if kind is None:
                continue  # another mm_page_ event (mm_page_alloc_extfrag, ...): not used
            events[kind] += 1
            if kind >= PCPU_DRAIN:
                if kind == ZONE_LOCKED:
                    self.refill["refill" if refill_s and refill_s != "0" else "direct"] += 1
                continue
            # virtual time
            ts = float(ts_s)
            if first is None:
                first = ts
            if last is not None and ts < last:
                self.backwards += 1  # per-cpu buffers interleave; time never goes back in the scenario
            else:
                last = ts
                t = int((ts - first) * scale + 1e-6)  # 1e-6: 100.05 - 100.0 is 0.0499999...
                if t > now:
                    last_step = steps[-1]
                    if last_step["do"] == "advance":  # nothing happened since the last advance: extend it
                        last_step["ms"] += t - now
                    else:
                        append({"do": "advance", "ms": t - now})
                    now = t
            order = int(order_s)
            if page in null_pages or (page[-1] == "0" and not page.strip("0x")):
                skipped["failed_alloc" if kind == ALLOC else "pre_trace_free"] += 1
                continue
            pfn = int(pfn_s, 16) if pfn_s[1:2] == "x" else int(pfn_s)
            if kind == ALLOC:
                mt = mt_names.get(mt_s)
                if mt is None:
                    skipped["bad_migratetype"] += 1
                    continue
                if order >= max_order:
                    skipped["order_too_large"] += 1
                    continue
                old = live.pop(pfn, None)
                if old is not None:
                    append({"do": "free", "ref": old[0]})
                    kept["implicit_free"] += 1
                    live_pages -= 1 << old[1]
                ref = "t%x" % next_name  # noqa: UP031 - the fastest formatting
                next_name += 1
                live[pfn] = [ref, order, 0]
                if just_freed:
                    just_freed.discard(pfn)
                append({"do": "alloc", "zone": zone, "order": order, "migratetype": mt, "as": ref})
                kept["alloc"] += 1
                live_pages += 1 << order
                if live_pages > peak:
                    peak = live_pages
                continue
            # FREE or FREE_BATCHED
            entry = live.get(pfn)
            if entry is not None and entry[1] == order and entry[2] == 0:
                del live[pfn]
                append({"do": "free", "ref": entry[0]})
                kept["free"] += 1
                live_pages -= 1 << order
                if kind == FREE:
                    just_freed.add(pfn)
                continue
            if kind == FREE_BATCHED and pfn in just_freed:
                just_freed.discard(pfn)
                skipped["batched_duplicate"] += 1
                continue
            save()
            if not self._split_free(pfn, order, kind):
                skipped["pre_trace_free"] += 1
            live_pages = self.live_pages
        save()

    def _slow(self, line: str) -> None:
        """A line the fast pattern did not take: parse_line says what it is (or why it is not an event)."""
        ev = parse_line(line)
        if ev is None:
            return
        if isinstance(ev, str):
            if ev.startswith("lost"):
                self.lost += 1
                return
            self.unparsable += 1
            if len(self.unparsable_lines) < MAX_LINE_NUMBERS:
                self.unparsable_lines.append({"line": self.lines, "why": ev, "text": line.rstrip("\n")[:160]})
            return
        # A well-formed event in a layout the fast pattern does not know (extra columns): take it as text.
        text = f"] {ev.ts:.6f}: {ev.name}: page={'0' if ev.pfn is None else '1'} pfn={ev.pfn or 0} order={ev.order}"
        if ev.migratetype is not None:
            text += f" migratetype={ev.migratetype}"
        if ev.refill is not None:
            text += f" percpu_refill={ev.refill}"
        n = self.lines
        self.lines = n - 1
        self.feed([text])

    def _split_free(self, pfn: int, order: int, kind: int) -> bool:
        """A free of part of a traced block (split_page): count it; free the block when all of it is free."""
        live = self.live
        for k in range(order, self.max_order):
            head = pfn & ~((1 << k) - 1)
            entry = live.get(head)
            if entry is None or entry[1] < order or head + (1 << entry[1]) <= pfn:
                continue
            if entry[1] == order and head == pfn:
                return False  # already partly freed at the same order: not ours to pair
            entry[2] += 1 << order
            if kind == FREE:
                self.just_freed.add(pfn)
            if entry[2] >= 1 << entry[1]:
                del live[head]
                self.steps.append({"do": "free", "ref": entry[0]})
                self.kept["split_free"] += 1
                self.live_pages -= 1 << entry[1]
            else:
                self.skipped["partial_free"] += 1
            return True
        return False

    # --- results ----------------------------------------------------------------------------

    def machine_pages(self) -> int:
        block = 1 << (self.max_order - 1)
        if self.pages is not None:
            return self.pages
        want = max(MIN_PAGES, 2 * self.peak_pages)
        want = -(-want // block) * block
        return min(want, max(block, self.max_pages // block * block))

    def summary(self) -> dict[str, Any]:
        span_s = (self.last_ts - self.first_ts) if self.first_ts is not None and self.last_ts is not None else 0.0
        refill, direct = self.refill["refill"], self.refill["direct"]
        drains = self.events[PCPU_DRAIN]
        pcp_text = (
            f"{refill} mm_page_alloc_zone_locked events with percpu_refill=1 are the kernel refilling its per-cpu "
            f"page lists from the buddy lists in batches (rmqueue_bulk), {direct} with percpu_refill=0 are "
            f"allocations taken from the buddy lists directly, and {drains} mm_page_pcpu_drain events are pages "
            "going back from per-cpu lists to the buddy lists (free_pcppages_bulk). The model has no per-cpu "
            "lists (MODEL.md): every order-0 allocation and free goes straight to and from the buddy lists, so "
            "these events are counted, not replayed, and the real buddy lists lagged behind the allocations and "
            "frees by up to a per-cpu batch."
        )
        return {
            "format": self.format,
            "lines": self.lines,
            "events": {name: self.events[i] for i, name in enumerate(EVENT_KINDS)},
            "kept": dict(self.kept),
            "skipped": dict(self.skipped),
            "unparsable": {"count": self.unparsable, "lines": self.unparsable_lines},
            "lost_event_markers": self.lost,
            "out_of_order_timestamps": self.backwards,
            "pcp": {"refill": refill, "direct": direct, "drain": drains, "explanation": pcp_text},
            "time": {"first_s": self.first_ts, "last_s": self.last_ts, "span_s": round(span_s, 6),
                     "time_scale": self.time_scale, "virtual_ms": self.now_ms,
                     "rule": "virtual ms = (timestamp - first timestamp) x 1000 x time_scale, rounded down"},
            "live_at_end": len(self.live),
            "peak_live_pages": self.peak_pages,
            "steps": len(self.steps) + 1,
        }

    format = "tracefs"  # set by import_lines from the first lines

    def scenario(self, title: str | None = None) -> dict[str, Any]:
        pages = self.machine_pages()
        steps = list(self.steps)
        steps.append({"do": "advance", "ms": DESIGN_DELAY_MS[self.design] + 1})
        summary = self.summary()
        kept = self.kept["alloc"]
        frees = self.kept["free"] + self.kept["split_free"] + self.kept["implicit_free"]
        return {
            "format": SCENARIO_FORMAT,
            "title": title or f"Imported trace: {kept} allocations, {frees} frees",
            "machine": {"max_order": self.max_order, "pageblock_order": min(9, self.max_order - 1),
                        "zones": [{"name": self.zone, "pages": pages}]},
            "hinting": {"design": self.design},
            "import": {**summary, "machine_rule": (
                f"one zone of max(16384, 2 x peak live pages {self.peak_pages}) pages, rounded up to a multiple "
                f"of {1 << (self.max_order - 1)}" if self.pages is None else "pages given by the importer")},
            "steps": steps,
        }


def import_lines(lines: Iterable[str], *, progress: Callable[[int], None] | None = None,
                 every: int = 100_000, **kwargs: Any) -> Importer:
    """Convert an iterable of lines; `progress(lines so far)` every `every` lines.

    The cyclic garbage collector is paused meanwhile: the import makes a step
    dict per event and no cycles, and a million young objects would have it
    walk the heap over and over for nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _import_lines(lines, progress, every, kwargs)
    finally:
        if enabled:
            gc.enable()


def _import_lines(lines: Iterable[str], progress: Callable[[int], None] | None, every: int,
                  kwargs: dict[str, Any]) -> Importer:
    imp = Importer(**kwargs)
    it = iter(lines)
    head: list[str] = []
    for line in it:
        head.append(line)
        if len(head) >= 50:
            break
    imp.format = detect_format(head)
    imp.feed(head)
    if progress is None:
        imp.feed(it)
        return imp
    batch: list[str] = []
    for line in it:
        batch.append(line)
        if len(batch) >= every:
            imp.feed(batch)
            batch.clear()
            progress(imp.lines)
    imp.feed(batch)
    progress(imp.lines)
    return imp


def read_lines(f: TextIO, on_bytes: Callable[[int], None] | None = None) -> Iterator[str]:
    """Lines of a text file in large reads, reporting characters read so far."""
    done = 0
    while True:
        chunk = f.readlines(1 << 20)
        if not chunk:
            return
        done += sum(len(x) for x in chunk)
        yield from chunk
        if on_bytes:
            on_bytes(done)


def cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m core import-trace",
                                     description="Convert a kmem page-allocation trace (tracefs `trace` text or "
                                     "`perf script` output) into a hinting-scenario/1 on stdout.")
    parser.add_argument("file", help="the trace, or - for stdin")
    parser.add_argument("--design", choices=("seed", "reporting"), default="seed", help="hinting design (seed)")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="virtual ms per real ms of the trace (default 1: real time)")
    parser.add_argument("--pages", type=int, default=None, help="zone size in pages (default: from the peak)")
    parser.add_argument("--max-order", type=int, default=11, help="MAX_ORDER of the simulated machine (11)")
    parser.add_argument("--quiet", action="store_true", help="no progress or summary on stderr")
    args = parser.parse_args(argv)
    if args.time_scale <= 0:
        print("error: --time-scale: must be > 0", file=sys.stderr)
        return 2
    block = 1 << (args.max_order - 1)
    if args.pages is not None and (args.pages < block or args.pages % block):
        print(f"error: --pages: must be a positive multiple of {block}", file=sys.stderr)
        return 2
    try:
        f = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as err:
        print(f"error: {args.file}: {err.strerror}", file=sys.stderr)
        return 2
    size = 0 if args.file == "-" else os.fstat(f.fileno()).st_size
    t0 = time.perf_counter()
    last = [0.0]

    def on_bytes(done: int) -> None:
        now = time.perf_counter()
        if args.quiet or now - last[0] < 0.5:
            return
        last[0] = now
        pct = f" ({100 * done / size:.0f} %)" if size else ""
        print(f"import-trace: {done:,} bytes read{pct}", file=sys.stderr)

    with f:
        imp = import_lines(read_lines(f, on_bytes), design=args.design, time_scale=args.time_scale,
                           pages=args.pages, max_order=args.max_order)
    doc = imp.scenario(title=f"Trace {Path(args.file).name}" if args.file != "-" else None)
    sys.stdout.write(json.dumps(doc, separators=(",", ":")))
    sys.stdout.write("\n")
    if not args.quiet:
        s = doc["import"]
        print(f"import-trace: {s['lines']:,} lines in {time.perf_counter() - t0:.2f} s; kept {s['kept']}; "
              f"skipped {s['skipped']}; unparsable {s['unparsable']['count']}"
              + (f" (first at line {s['unparsable']['lines'][0]['line']})" if s["unparsable"]["lines"] else ""),
              file=sys.stderr)
    return 0
