"""Machine and hinting configuration, with the defaults of MODEL.md.

Validation lives here so the scenario reader, the server and direct API users
all get the same errors, each naming the field at fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import InvalidInput
from .initial_state import parse_initial_states
from .mmzone import MAX_ORDER_LIMIT

if TYPE_CHECKING:  # pragma: no cover
    from .design import DesignConfig

DEFAULT_MAX_ORDER = 11
DEFAULT_PAGEBLOCK_ORDER = 9
DEFAULT_ZONE = ("Normal", 262144)  # 1 GiB of 4 KiB pages
DEFAULT_HWM = 32
DEFAULT_CAPACITY = 32
DEFAULT_DELAY_MS = 100
# A safety net for direct users; the server sets its own, lower limit.
DEFAULT_MAX_PAGES = 1 << 24  # 64 GiB


@dataclass(frozen=True)
class MachineConfig:
    max_order: int = DEFAULT_MAX_ORDER
    pageblock_order: int = DEFAULT_PAGEBLOCK_ORDER
    zones: tuple[tuple[str, int], ...] = (DEFAULT_ZONE,)
    # Zone name -> its initial state (initial_state.ZoneInitial), for zones that have one.
    initial: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def nr_pages(self) -> int:
        return sum(pages for _, pages in self.zones)

    def zone_names(self) -> list[str]:
        return [name for name, _ in self.zones]

    @cached_property
    def zone_set(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.zones)

    def to_json(self) -> dict[str, Any]:
        return {
            "max_order": self.max_order,
            "pageblock_order": self.pageblock_order,
            "zones": [{"name": n, "pages": p, **({"initial": self.initial[n].document} if n in self.initial else {})}
                      for n, p in self.zones],
        }


@dataclass(frozen=True)
class HintingConfig:
    """The seed's configuration (MODEL.md's constants); each design has its own (design.py)."""

    design: ClassVar[str] = "seed"
    min_order: int = DEFAULT_PAGEBLOCK_ORDER
    hwm: int = DEFAULT_HWM
    capacity: int = DEFAULT_CAPACITY
    delay_ms: int = DEFAULT_DELAY_MS
    stepping: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "design": self.design,
            "min_order": self.min_order,
            "hwm": self.hwm,
            "capacity": self.capacity,
            "delay_ms": self.delay_ms,
            "stepping": self.stepping,
        }


def want_int(obj: Any, path: str, lo: int | None = None, hi: int | None = None) -> int:
    """An integer (JSON number without a fraction, never a boolean) within [lo, hi]."""
    if isinstance(obj, bool) or not isinstance(obj, (int, float)):
        raise InvalidInput(f"must be an integer, got {_show(obj)}", path)
    if isinstance(obj, float) and not obj.is_integer():
        raise InvalidInput(f"must be an integer, got {obj}", path)
    value = int(obj)
    if lo is not None and value < lo:
        raise InvalidInput(f"must be >= {lo}, got {value}", path)
    if hi is not None and value > hi:
        raise InvalidInput(f"must be <= {hi}, got {value}", path)
    return value


def want_bool(obj: Any, path: str) -> bool:
    if not isinstance(obj, bool):
        raise InvalidInput(f"must be true or false, got {_show(obj)}", path)
    return obj


def want_str(obj: Any, path: str) -> str:
    if not isinstance(obj, str) or not obj:
        raise InvalidInput(f"must be a non-empty string, got {_show(obj)}", path)
    return obj


def want_object(obj: Any, path: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise InvalidInput(f"must be an object, got {_show(obj)}", path)
    return obj


def _show(obj: Any) -> str:
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "true" if obj else "false"
    if isinstance(obj, str):
        return repr(obj) if len(obj) < 40 else repr(obj[:37] + "...")
    if isinstance(obj, (list, tuple)):
        return "a list"
    if isinstance(obj, dict):
        return "an object"
    return str(obj)


def parse_machine(obj: Any, path: str = "machine", max_pages: int = DEFAULT_MAX_PAGES) -> MachineConfig:
    if obj is None:
        obj = {}
    obj = want_object(obj, path)
    max_order = want_int(obj.get("max_order", DEFAULT_MAX_ORDER), f"{path}.max_order", 2, MAX_ORDER_LIMIT)
    default_pb = min(DEFAULT_PAGEBLOCK_ORDER, max_order - 1)
    pageblock_order = want_int(obj.get("pageblock_order", default_pb), f"{path}.pageblock_order", 1, max_order - 1)
    zones_obj = obj.get("zones")
    if zones_obj is None:
        zones: tuple[tuple[str, int], ...] = ((DEFAULT_ZONE[0], max(DEFAULT_ZONE[1], 1 << (max_order - 1))),)
    else:
        if not isinstance(zones_obj, list) or not zones_obj:
            raise InvalidInput("must be a non-empty list of zones", f"{path}.zones")
        block = 1 << (max_order - 1)
        parsed = []
        seen: set[str] = set()
        for i, z in enumerate(zones_obj):
            zp = f"{path}.zones[{i}]"
            z = want_object(z, zp)
            name = want_str(z.get("name"), f"{zp}.name")
            if name in seen:
                raise InvalidInput(f"zone name {name!r} is used twice", f"{zp}.name")
            seen.add(name)
            pages = want_int(z.get("pages"), f"{zp}.pages", block)
            if pages % block:
                raise InvalidInput(f"must be a multiple of 2^(max_order-1) = {block} pages, got {pages}", f"{zp}.pages")
            parsed.append((name, pages))
        zones = tuple(parsed)
    total = sum(p for _, p in zones)
    if total > max_pages:
        raise InvalidInput(
            f"the machine has {total} pages; the limit here is {max_pages}",
            f"{path}.zones",
        )
    initial = parse_initial_states(zones_obj, zones, max_order, pageblock_order, path)
    return MachineConfig(max_order, pageblock_order, zones, initial)


def parse_hinting(obj: Any, machine: MachineConfig, path: str = "hinting") -> DesignConfig:
    """The configuration of the design a scenario's "hinting" object names (default: the seed)."""
    from .designs import DESIGNS  # the designs import this module for its checks

    if obj is None:
        obj = {}
    obj = want_object(obj, path)
    design = obj.get("design", "seed")
    cls = DESIGNS.get(design) if isinstance(design, str) else None
    if cls is None:
        raise InvalidInput(
            f"unknown design {_show(design)}; this version models {', '.join(DESIGNS)}", f"{path}.design"
        )
    return cls.parse_config(obj, machine, path)
