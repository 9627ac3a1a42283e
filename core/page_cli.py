"""`python -m core page SCENARIO PFN` and `python -m core pages SCENARIO`.

Both replay the scenario first (a failed step is reported on stderr and the
replay goes on, as `replay` does), then print what struct page says and what
the kernel's tools conclude (core/page_repr.py), in words or, with --json,
the `hinting-page/1` or `hinting-pages/1` document.  `--encoding all` shows a
page under every encoding side by side.  Bad input exits 2 naming the field.
"""

from __future__ import annotations

import argparse
import json
import sys

from .errors import InvalidInput
from .page_flags import ENCODINGS
from .page_repr import page_view, pages_view
from .page_text import render_compare, render_page, render_pages
from .scenario import load_scenario, run_steps


def _parser(command: str) -> argparse.ArgumentParser:
    if command == "page":
        parser = argparse.ArgumentParser(prog="python -m core page", description="One page as the kernel and its "
                                         "tools see it at the end of a scenario.")
    else:
        parser = argparse.ArgumentParser(prog="python -m core pages", description="Per zone: what makedumpfile, "
                                         "PageOffline() and /proc/kpageflags make of the free pages, and the page "
                                         "flag writes so far, at the end of a scenario.")
    parser.add_argument("scenario", help="a hinting-scenario/1 JSON file, or - for stdin")
    if command == "page":
        parser.add_argument("pfn", type=int, help="the page frame number")
    choices = [*ENCODINGS, "all"] if command == "page" else list(ENCODINGS)
    parser.add_argument("--encoding", choices=choices, default=None,
                        help="which bits carry the design's mark (default: the design's own, else offline-alias)"
                        + ("; all: every encoding side by side" if command == "page" else ""))
    parser.add_argument("--json", action="store_true", help="print the JSON document instead of words")
    return parser


def cli(argv: list[str]) -> int:
    command = argv[0]
    args = _parser(command).parse_args(argv[1:])
    try:
        scenario = load_scenario(args.scenario)
    except InvalidInput as err:
        print(f"error: {args.scenario}: {err}", file=sys.stderr)
        return 2
    machine = scenario.machine_instance()
    for i, result in enumerate(run_steps(machine, scenario.steps)):
        if not result["ok"]:
            print(f"note: step {i} failed: {result['error']}", file=sys.stderr)
    try:
        if command == "pages":
            doc = pages_view(machine, args.encoding)
            print(json.dumps(doc, indent=1) if args.json else render_pages(doc))
        elif args.encoding == "all":
            views = [page_view(machine, args.pfn, name) for name in ENCODINGS]
            print(json.dumps(views, indent=1) if args.json else render_compare(views))
        else:
            view = page_view(machine, args.pfn, args.encoding)
            print(json.dumps(view, indent=1) if args.json else render_page(view))
    except InvalidInput as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
