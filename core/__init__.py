"""Hinting Lab's model of a v5.3 buddy allocator with the seed's free page hinting.

Standard library only.  Start with `Machine` (machine.py) and the formats in
scenario.py and state.py; the kernel code lives in page_alloc.py and
page_hinting.py under the kernel's function names.
"""

from .config import HintingConfig, MachineConfig, parse_hinting, parse_machine
from .errors import CoreError, InvalidInput, InvariantViolation, StepFailed
from .events import EventDecoder, decode_all
from .machine import Machine
from .scenario import REPLAY_FORMAT, SCENARIO_FORMAT, Scenario, load_scenario, parse_scenario, replay
from .state import STATE_FORMAT
from .steps import STEP_KINDS, describe_step, parse_step

__all__ = [
    "REPLAY_FORMAT",
    "SCENARIO_FORMAT",
    "STATE_FORMAT",
    "STEP_KINDS",
    "CoreError",
    "EventDecoder",
    "HintingConfig",
    "InvalidInput",
    "InvariantViolation",
    "Machine",
    "MachineConfig",
    "Scenario",
    "StepFailed",
    "decode_all",
    "describe_step",
    "load_scenario",
    "parse_hinting",
    "parse_machine",
    "parse_scenario",
    "parse_step",
    "replay",
]
