"""Parsers for the free-memory files of a real Linux machine's procfs and sysfs.

`/proc/buddyinfo`, `/proc/pagetypeinfo`, `/proc/zoneinfo`, `/proc/vmstat` and
the page reporting parameters under `/sys/module/page_reporting/parameters`.
Every parser takes text and returns what it understood plus a list of
`Problem`s (line number and why) for what it did not: a parser never raises
on its input, whatever the kernel version, the NUMA layout or a file cut off
in the middle of a line.  `read_host` reads them all through a root directory
(`/` on a live machine, a fixture tree in tests) and says, for each source it
could not use, why: missing (not Linux, an old kernel, a container that hides
it), not readable (not root), or empty.

Layouts handled, as the kernel's `mm/vmstat.c` and `mm/page_alloc.c` print
them across versions: any number of nodes and zones (DMA, DMA32, Normal,
HighMem, Movable, Device); any number of order columns; migratetype columns
named by the file's own header (so CMA, and pre-4.4 kernels' "Reserve" in
place of HighAtomic, or no Isolate without CONFIG_MEMORY_ISOLATION, all
parse); 5.x's ">100000" capped counts in pagetypeinfo; zoneinfo blocks
without `start_pfn` (before 4.x) or with extra fields (6.x's `promo`,
`nr_free_pages_blocks`).
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Largest file read (a sanity bound for fixture trees; zoneinfo on a big NUMA box is ~100 KB).
MAX_TEXT_BYTES = 8 << 20


@dataclass
class Problem:
    """A line a parser could not use: where (1-based) and why."""

    line: int
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "why": self.why}


@dataclass
class Source:
    """One file of the host: its text, or why there is none."""

    name: str
    path: str
    text: str | None = None
    why: str | None = None  # set when text is None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.text is not None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok and not self.fatal, "path": self.path}
        if self.why:
            out["why"] = self.why
        if self.problems:
            out["problems"] = [p.to_json() for p in self.problems[:20]]
            out["problems_total"] = len(self.problems)
        return out

    @property
    def fatal(self) -> bool:
        return self.text is not None and self.why is not None


def in_container(root: Path) -> bool:
    """The usual marks of a container (Docker, Podman, LXC, systemd-nspawn) under `root`."""
    if (root / ".dockerenv").exists() or (root / "run" / ".containerenv").exists():
        return True
    try:
        cgroup = (root / "proc" / "1" / "cgroup").read_text(errors="replace")[:4096]
    except OSError:
        return False
    return any(word in cgroup for word in ("docker", "kubepods", "lxc", "containerd", "libpod"))


def why_missing(root: Path, rel: str) -> str:
    """Why a procfs or sysfs file is absent, in words a user can act on."""
    top = rel.split("/", 1)[0]
    if rel.startswith("sys/module/page_reporting") and (root / "proc").is_dir():
        return "free page reporting is not in this kernel (before Linux 5.7, or CONFIG_PAGE_REPORTING is off)"
    if not (root / top).is_dir():
        return f"there is no /{top} here: not a Linux machine (macOS or Windows?) or the procfs root is wrong"
    if in_container(root):
        return f"/{rel} is not visible: this looks like a container, which hides or virtualises it"
    if rel.startswith("sys/module/page_reporting"):
        return "free page reporting is not in this kernel (before Linux 5.7, or CONFIG_PAGE_REPORTING is off)"
    if rel == "proc/pagetypeinfo":
        return "/proc/pagetypeinfo is missing: a kernel older than 2.6.24, or built without CONFIG_PROC_FS"
    if rel in ("proc/kpageflags", "proc/kpagecount"):
        return f"/{rel} is missing: a kernel built without CONFIG_PROC_PAGE_MONITOR"
    return f"/{rel} does not exist on this kernel"


def read_text(root: Path, rel: str, name: str | None = None) -> Source:
    """Read a small text file under `root`; never raises."""
    path = root / rel
    src = Source(name or rel.rsplit("/", 1)[-1], "/" + rel)
    try:
        with open(path, "rb") as f:
            # Small reads: some procfs files (sysctls) refuse a huge buffer with ENOMEM.
            chunks = []
            size = 0
            while size <= MAX_TEXT_BYTES:
                chunk = f.read(1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            data = b"".join(chunks)
    except FileNotFoundError:
        src.why = why_missing(root, rel)
        return src
    except PermissionError:
        src.why = f"/{rel} is not readable by this user (uid {os.geteuid()}); it needs root"
        return src
    except IsADirectoryError:
        src.why = f"/{rel} is a directory, not a file"
        return src
    except OSError as err:
        src.why = f"/{rel} cannot be read: {os.strerror(err.errno or errno.EIO)}"
        return src
    if len(data) > MAX_TEXT_BYTES:
        data = data[:MAX_TEXT_BYTES]
        src.problems.append(Problem(0, f"longer than {MAX_TEXT_BYTES} bytes; the rest is ignored"))
    src.text = data.decode("utf-8", errors="replace")
    if not src.text.strip():
        src.why = f"/{rel} is empty"
    return src


def _lines(text: str, problems: list[Problem]) -> list[tuple[int, str]]:
    """Numbered lines; a last line without its newline is cut off (procfs files end with one) and dropped."""
    lines = text.splitlines()
    if lines and not text.endswith("\n"):
        problems.append(Problem(len(lines), "the file ends in the middle of this line (cut off): ignored"))
        lines.pop()
    return list(enumerate(lines, 1))


def _ints(words: list[str]) -> list[int] | None:
    out = []
    for w in words:
        if not w.isdigit():
            return None
        out.append(int(w))
    return out


# --- /proc/buddyinfo ------------------------------------------------------------------

_ZONE_HEAD = re.compile(r"^Node\s+(\d+),\s*zone\s+(\S+)\s*(.*)$")


@dataclass
class BuddyZone:
    node: int
    zone: str
    nr_free: list[int]  # free blocks per order, order 0 first

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "zone": self.zone, "nr_free": self.nr_free}


def parse_buddyinfo(text: str) -> tuple[list[BuddyZone], list[Problem]]:
    """`Node 0, zone   Normal   3202 2544 ...`: one line per zone, one count per order."""
    zones: list[BuddyZone] = []
    problems: list[Problem] = []
    width: int | None = None
    for n, line in _lines(text, problems):
        if not line.strip():
            continue
        m = _ZONE_HEAD.match(line.strip())
        if not m:
            problems.append(Problem(n, "not a 'Node N, zone NAME counts...' line"))
            continue
        counts = _ints(m.group(3).split())
        if counts is None:
            problems.append(Problem(n, "a count is not a number"))
            continue
        if not counts:
            problems.append(Problem(n, "no counts (the line is cut off?)"))
            continue
        if width is not None and len(counts) != width:
            problems.append(Problem(n, f"{len(counts)} order columns where earlier lines have {width} "
                                       "(the line is cut off?)"))
            if len(counts) < width:
                continue
            counts = counts[:width]
        width = width or len(counts)
        zones.append(BuddyZone(int(m.group(1)), m.group(2), counts))
    return zones, problems


# --- /proc/pagetypeinfo ---------------------------------------------------------------

_FREE_ROW = re.compile(r"^Node\s+(\d+),\s*zone\s+(\S+),\s*type\s+(\S+)\s*(.*)$")
_COUNT = re.compile(r"^>?\d+$")


@dataclass
class PagetypeZone:
    node: int
    zone: str
    free: dict[str, list[int]] = field(default_factory=dict)  # migratetype -> count per order
    capped: list[str] = field(default_factory=list)  # "Movable o0": counts printed as ">100000"
    blocks: dict[str, int] | None = None  # pageblocks per migratetype

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "zone": self.zone, "free": self.free, "capped": self.capped,
                "blocks": self.blocks}


@dataclass
class Pagetypeinfo:
    pageblock_order: int | None = None
    pages_per_block: int | None = None
    orders: int | None = None
    migratetypes: list[str] = field(default_factory=list)  # the free-count rows' types, in file order
    block_types: list[str] = field(default_factory=list)  # the "Number of blocks type" header
    zones: list[PagetypeZone] = field(default_factory=list)

    def zone(self, node: int, name: str) -> PagetypeZone:
        for z in self.zones:
            if z.node == node and z.zone == name:
                return z
        z = PagetypeZone(node, name)
        self.zones.append(z)
        return z

    def to_json(self) -> dict[str, Any]:
        return {"pageblock_order": self.pageblock_order, "pages_per_block": self.pages_per_block,
                "orders": self.orders, "migratetypes": self.migratetypes, "block_types": self.block_types,
                "zones": [z.to_json() for z in self.zones]}


def parse_pagetypeinfo(text: str) -> tuple[Pagetypeinfo, list[Problem]]:
    info = Pagetypeinfo()
    problems: list[Problem] = []
    section = None  # "free" or "blocks"
    for n, raw in _lines(text, problems):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("Page block order:"):
            v = line.split(":", 1)[1].strip()
            if v.isdigit():
                info.pageblock_order = int(v)
            else:
                problems.append(Problem(n, "the page block order is not a number"))
            continue
        if line.startswith("Pages per block:"):
            v = line.split(":", 1)[1].strip()
            if v.isdigit():
                info.pages_per_block = int(v)
            else:
                problems.append(Problem(n, "pages per block is not a number"))
            continue
        if line.startswith("Free pages count per migrate type at order"):
            orders = _ints(line.split("order", 1)[1].split())
            if orders is None or not orders:
                problems.append(Problem(n, "the order header is not a list of numbers"))
            else:
                info.orders = len(orders)
            section = "free"
            continue
        if line.startswith("Number of blocks type"):
            info.block_types = line[len("Number of blocks type"):].split()
            section = "blocks"
            continue
        if line.startswith("Number of mixed blocks"):
            section = "mixed"  # CONFIG_PAGE_OWNER's extra table: not used
            continue
        if section == "mixed":
            continue
        m = _FREE_ROW.match(line)
        if m:
            if section != "free":
                problems.append(Problem(n, "a free-count row outside its table"))
                continue
            words = m.group(4).split()
            if not all(_COUNT.match(w) for w in words) or not words:
                problems.append(Problem(n, "the counts are not numbers (the line is cut off?)"))
                continue
            if info.orders is not None and len(words) != info.orders:
                problems.append(Problem(n, f"{len(words)} counts where the header has {info.orders} orders "
                                           "(the line is cut off?)"))
                continue
            z = info.zone(int(m.group(1)), m.group(2))
            mt = m.group(3)
            z.free[mt] = [int(w.lstrip(">")) for w in words]
            z.capped.extend(f"{mt} o{o}" for o, w in enumerate(words) if w.startswith(">"))
            if mt not in info.migratetypes:
                info.migratetypes.append(mt)
            continue
        m = _ZONE_HEAD.match(line)
        if m and section == "blocks":
            counts = _ints(m.group(3).split())
            if counts is None or len(counts) != len(info.block_types):
                problems.append(Problem(n, f"expected {len(info.block_types)} block counts "
                                           "(the line is cut off?)"))
                continue
            z = info.zone(int(m.group(1)), m.group(2))
            z.blocks = dict(zip(info.block_types, counts, strict=True))
            continue
        problems.append(Problem(n, "not a line of /proc/pagetypeinfo"))
    if info.pageblock_order is None:
        problems.append(Problem(0, "no 'Page block order' line"))
    return info, problems


# --- /proc/zoneinfo ---------------------------------------------------------------------

_ZONEINFO_HEAD = re.compile(r"^Node\s+(\d+),\s*zone\s+(\S+)\s*$")
# Fields of a zone's block worth keeping (the rest are per-node vm statistics).
ZONE_FIELDS = ("free", "boost", "min", "low", "high", "promo", "spanned", "present", "managed", "cma",
               "start_pfn", "nr_free_pages", "nr_free_cma", "nr_free_pages_blocks", "nr_isolate_pageblock")


@dataclass
class ZoneInfo:
    node: int
    zone: str
    fields: dict[str, int] = field(default_factory=dict)
    protection: list[int] | None = None

    def get(self, key: str) -> int | None:
        return self.fields.get(key)

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "zone": self.zone, **self.fields, "protection": self.protection}


def parse_zoneinfo(text: str) -> tuple[list[ZoneInfo], list[Problem]]:
    zones: list[ZoneInfo] = []
    problems: list[Problem] = []
    cur: ZoneInfo | None = None
    in_pagesets = False
    for n, raw in _lines(text, problems):
        line = raw.strip()
        if not line:
            continue
        m = _ZONEINFO_HEAD.match(line)
        if m:
            cur = ZoneInfo(int(m.group(1)), m.group(2))
            zones.append(cur)
            in_pagesets = False
            continue
        if cur is None:
            problems.append(Problem(n, "a field before any 'Node N, zone NAME' line"))
            continue
        if line == "pagesets":
            in_pagesets = True
            continue
        if line.startswith("per-node stats"):
            continue
        if line.startswith("protection:"):
            nums = re.findall(r"\d+", line)
            cur.protection = [int(x) for x in nums]
            continue
        words = line.replace(":", " ").split()
        if words[:2] == ["pages", "free"]:
            words = ["free", *words[2:]]
        if len(words) < 2:
            if not in_pagesets:
                problems.append(Problem(n, "a field without a value (the line is cut off?)"))
            continue
        key, value = words[0], words[-1]
        if key in ("start_pfn", "node_unreclaimable"):
            in_pagesets = False
        if in_pagesets:
            continue
        if key in ZONE_FIELDS:
            if value.isdigit():
                cur.fields[key] = int(value)
            else:
                problems.append(Problem(n, f"{key} is not a number"))
    return zones, problems


# --- /proc/vmstat -------------------------------------------------------------------------

VMSTAT_FREE = ("nr_free_pages", "nr_free_cma", "nr_free_pages_blocks", "pgfree", "nr_balloon_pages",
               "nr_unaccepted", "balloon_inflate", "balloon_deflate", "compact_isolated",
               "pgalloc_dma", "pgalloc_dma32", "pgalloc_normal", "pgalloc_movable")


def parse_vmstat(text: str) -> tuple[dict[str, int], list[Problem]]:
    out: dict[str, int] = {}
    problems: list[Problem] = []
    for n, line in _lines(text, problems):
        words = line.split()
        if not words:
            continue
        if len(words) != 2 or not words[1].lstrip("-").isdigit():
            problems.append(Problem(n, "not a 'name value' line (cut off?)"))
            continue
        out[words[0]] = int(words[1])
    return out, problems


# --- everything, through a root -----------------------------------------------------------

REPORTING_PARAMS = "sys/module/page_reporting/parameters"


def read_page_reporting(root: Path) -> tuple[dict[str, Any], Source]:
    """page_reporting's module parameters (page_reporting_order, 5.14+), any others as text."""
    src = Source("page_reporting", "/" + REPORTING_PARAMS)
    d = root / REPORTING_PARAMS
    params: dict[str, Any] = {}
    try:
        names = sorted(os.listdir(d))
    except FileNotFoundError:
        src.why = why_missing(root, REPORTING_PARAMS)
        if (root / "sys" / "module" / "page_reporting").is_dir():
            src.why = "page reporting is built in but has no parameters here (Linux 5.7-5.13: the order is fixed " \
                      "at pageblock_order)"
        return params, src
    except OSError as err:
        src.why = f"/{REPORTING_PARAMS} cannot be listed: {os.strerror(err.errno or errno.EIO)}"
        return params, src
    for name in names[:32]:
        s = read_text(root, f"{REPORTING_PARAMS}/{name}", name)
        if s.text is None:
            src.problems.append(Problem(0, f"{name}: {s.why}"))
            continue
        v = s.text.strip()
        params[name] = int(v) if v.lstrip("-").isdigit() else v
    src.text = "\n".join(f"{k}={v}" for k, v in params.items())
    if "page_reporting_order" not in params:
        src.problems.append(Problem(0, "no page_reporting_order parameter (before Linux 5.14)"))
    return params, src


def read_host(root: str | Path = "/") -> dict[str, Any]:
    """All free-memory sources of the machine under `root`, parsed; never raises.

    Returns {"sources": {name: Source}, "buddyinfo": [...], "pagetypeinfo": Pagetypeinfo | None,
    "zoneinfo": [...], "vmstat": {...}, "page_reporting": {...}, "kernel": str | None}.
    """
    root = Path(root)
    sources: dict[str, Source] = {}
    out: dict[str, Any] = {"sources": sources, "buddyinfo": [], "pagetypeinfo": None, "zoneinfo": [],
                           "vmstat": {}, "page_reporting": {}, "kernel": None}

    src = read_text(root, "proc/buddyinfo")
    if src.ok and not src.why:
        out["buddyinfo"], src.problems = parse_buddyinfo(src.text or "")
        if not out["buddyinfo"]:
            src.why = "no zone could be read from it"
    sources["buddyinfo"] = src

    src = read_text(root, "proc/pagetypeinfo")
    if src.ok and not src.why:
        info, src.problems = parse_pagetypeinfo(src.text or "")
        out["pagetypeinfo"] = info
        if not info.zones:
            src.why = "no zone could be read from it"
    sources["pagetypeinfo"] = src

    src = read_text(root, "proc/zoneinfo")
    if src.ok and not src.why:
        out["zoneinfo"], src.problems = parse_zoneinfo(src.text or "")
        if not out["zoneinfo"]:
            src.why = "no zone could be read from it"
    sources["zoneinfo"] = src

    src = read_text(root, "proc/vmstat")
    if src.ok and not src.why:
        out["vmstat"], src.problems = parse_vmstat(src.text or "")
    sources["vmstat"] = src

    out["page_reporting"], sources["page_reporting"] = read_page_reporting(root)

    src = read_text(root, "proc/sys/kernel/osrelease", "kernel")
    if src.ok and src.text:
        out["kernel"] = src.text.strip()[:100]
    sources["kernel"] = src
    return out
