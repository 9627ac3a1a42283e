"""Command line: `python -m core replay SCENARIO.json` and friends.

replay   print the hinting-replay/1 document (FORMATS.md) on stdout
explain  print what happened, one line per event, with seed lines
check    replay with the invariant checker after every step
import-trace  turn a kernel page-allocation trace into a scenario (core/trace_import.py)

An unreadable or invalid scenario prints the field at fault on stderr and
exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from .errors import InvalidInput, InvariantViolation
from .events import EventDecoder
from .scenario import load_scenario, replay, replay_json, run_steps


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    if args_list[:1] == ["import-trace"]:  # its own options (core/trace_import.py)
        from .trace_import import cli

        return cli(args_list[1:])
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_replay = sub.add_parser("replay", help="print the hinting-replay/1 output of a scenario")
    p_replay.add_argument("scenario", help="a hinting-scenario/1 JSON file, or - for stdin")
    p_replay.add_argument("--indent", type=int, default=None, help="pretty-print with this indent")
    p_replay.add_argument("--check", action="store_true", help="check the invariants after every step")
    p_explain = sub.add_parser("explain", help="print every event of a scenario's replay in words")
    p_explain.add_argument("scenario")
    p_check = sub.add_parser("check", help="replay with the invariant checker after every step")
    p_check.add_argument("scenario")
    sub.add_parser("import-trace", help="convert a kmem page-allocation trace into a scenario", add_help=False)
    args = parser.parse_args(argv)

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
            machine = scenario.machine_instance(record_events=True)
            decoder = EventDecoder(machine)
            for i, step in enumerate(scenario.steps):
                result = machine.apply_parsed(step)
                for ev in decoder.decode(machine.take_raw_events()):
                    lines = ev["seed_lines"]
                    ref = f"  [seed {lines[0]}-{lines[1]}]" if lines else ""
                    mark = "!! " if ev.get("anomaly") else "   "
                    indent = "" if ev["kind"] == "step" else "  "
                    print(f"{ev['t_ms']:>7} {mark}{indent}{ev['text']}{ref}")
                if not result["ok"]:
                    print(f"{'':>7}    -> step {i} failed: {result['error']}")
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
