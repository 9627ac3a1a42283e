"""Command line: `python -m core replay SCENARIO.json` and friends.

replay   print the hinting-replay/1 document (FORMATS.md) on stdout
explain  print what happened, one line per event, with seed lines (core/explain.py):
         quiet "did nothing, because" events too unless --no-quiet, anomaly
         conditions where they appear, the free lists after every step with --lists
check    replay with the invariant checker after every step
compare  run a scenario under every design and print what each one's work cost, side by side
import-trace  turn a kernel page-allocation trace into a scenario (core/trace_import.py)
page     one page as the kernel and its tools see it (core/page_cli.py)
pages    per zone: makedumpfile, PageOffline(), kpageflags and flag writes (core/page_cli.py)

An unreadable or invalid scenario prints the field at fault on stderr and
exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from .errors import InvalidInput, InvariantViolation
from .explain import explain_lines
from .scenario import load_scenario, replay, replay_json, run_steps


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    if args_list[:1] == ["import-trace"]:  # its own options (core/trace_import.py)
        from .trace_import import cli

        return cli(args_list[1:])
    if args_list[:1] in (["page"], ["pages"]):  # their own options (core/page_cli.py)
        from .page_cli import cli as page_cli

        return page_cli(args_list)
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_replay = sub.add_parser("replay", help="print the hinting-replay/1 output of a scenario")
    p_replay.add_argument("scenario", help="a hinting-scenario/1 JSON file, or - for stdin")
    p_replay.add_argument("--indent", type=int, default=None, help="pretty-print with this indent")
    p_replay.add_argument("--check", action="store_true", help="check the invariants after every step")
    p_explain = sub.add_parser("explain", help="print every event of a scenario's replay in words")
    p_explain.add_argument("scenario")
    p_explain.add_argument("--no-quiet", dest="quiet", action="store_false",
                           help="leave out the quiet events (where the code looked and did nothing, and why)")
    p_explain.add_argument("--lists", action="store_true",
                           help="print the free lists, boundaries, batch and zone flags after every step")
    p_check = sub.add_parser("check", help="replay with the invariant checker after every step")
    p_check.add_argument("scenario")
    sub.add_parser("import-trace", help="convert a kmem page-allocation trace into a scenario", add_help=False)
    sub.add_parser("page", help="one page as the kernel and its tools see it (--help for more)", add_help=False)
    sub.add_parser("pages", help="per zone: makedumpfile, PageOffline, kpageflags, flag writes", add_help=False)
    p_compare = sub.add_parser("compare", help="run a scenario under every design; print the costs side by side")
    p_compare.add_argument("scenario", help="a hinting-scenario/1 JSON file, or - for stdin (its design is ignored)")
    p_compare.add_argument("--json", action="store_true", help="print the hinting-compare/1 document instead")
    args = parser.parse_args(argv)

    if args.command == "compare":  # core/compare.py
        from .compare import compare_cli

        status, stdout, stderr = compare_cli(args.scenario, args.json)
        sys.stdout.write(stdout)
        sys.stderr.write(stderr)
        return status

    try:
        scenario = load_scenario(args.scenario)
    except InvalidInput as err:
        print(f"error: {args.scenario}: {err}", file=sys.stderr)
        return 2

    try:
        if args.command == "replay":
            out = replay(scenario, check_invariants=args.check)
            sys.stdout.write(json.dumps(out, indent=args.indent) if args.indent else replay_json(out))
            sys.stdout.write("\n")
        elif args.command == "explain":
            for line in explain_lines(scenario, quiet=args.quiet, lists=args.lists):
                print(line)
        else:
            machine = scenario.machine_instance(check_invariants=True)
            run_steps(machine, scenario.steps)
            print(f"ok: {len(scenario.steps)} steps, every invariant held after each")
    except InvariantViolation as err:
        print(f"invariant violated: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
