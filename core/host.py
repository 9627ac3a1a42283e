"""The hypervisor behind the virtio-balloon device's `react` (patch 5/5).

What the host sees of the guest: which guest pages are backed by host memory
(resident), how many pages the guest reported, how often the guest touched a
page the host had dropped (a refault), and how many hints were wasted (a
reported block that lost its Hinted state by merging or moving before it was
allocated, so the work of reporting it bought nothing lasting).

Every page starts resident: the guest has booted and touched its memory.
Residency is one byte per page frame (1 = dropped by the host), which keeps a
64 GiB guest at 16 MiB and lets bytearray.count() do the per-block counting in
C on the allocation path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .costs import Costs


class Host:
    __slots__ = (
        "_ones",
        "_zeros",
        "nonresident",
        "nr_nonresident",
        "nr_pages",
        "refaults",
        "reported_pages",
        "wasted_hints",
    )

    def __init__(self, nr_pages: int, max_block_pages: int) -> None:
        self.nr_pages = nr_pages
        self.nonresident = bytearray(nr_pages)
        self.nr_nonresident = 0
        self.reported_pages = 0
        self.refaults = 0
        self.wasted_hints = 0
        self._ones = memoryview(b"\x01" * max_block_pages)
        self._zeros = memoryview(bytes(max_block_pages))

    @property
    def resident_pages(self) -> int:
        return self.nr_pages - self.nr_nonresident

    def react(self, blocks: list[tuple[int, int]]) -> int:
        """The host drops the pages of a reported batch; returns pages newly dropped."""
        nonres = self.nonresident
        dropped = 0
        for pfn, order in blocks:
            n = 1 << order
            dropped += n - nonres.count(1, pfn, pfn + n)
            nonres[pfn : pfn + n] = self._ones[:n]
            self.reported_pages += n
        self.nr_nonresident += dropped
        return dropped

    def report(self, blocks: list[tuple[int, int]], costs: Costs) -> int:
        """A device's report of `blocks` (both designs' virtio-balloon side): counted, then dropped.

        The costs learn how many blocks and pages were reported, and how much
        of it the host had dropped already (the same range reported again).
        Returns the pages newly dropped.
        """
        again_pages = again_blocks = 0
        for pfn, order in blocks:
            already = self.dropped_in(pfn, order)
            again_pages += already
            again_blocks += already == 1 << order
        dropped = self.react(blocks)
        costs.reported(len(blocks), sum(1 << o for _, o in blocks), again_blocks, again_pages)
        return dropped

    def dropped_in(self, pfn: int, order: int) -> int:
        """Pages of the block at `pfn` the host has dropped already (reported before, untouched since)."""
        return self.nonresident.count(1, pfn, pfn + (1 << order))

    def touch(self, pfn: int, order: int) -> int:
        """The guest uses a freshly allocated block; dropped pages fault back in."""
        if not self.nr_nonresident:
            return 0
        n = 1 << order
        nonres = self.nonresident
        back = nonres.count(1, pfn, pfn + n)
        if back:
            nonres[pfn : pfn + n] = self._zeros[:n]
            self.nr_nonresident -= back
            self.refaults += back
        return back

    def hint_wasted(self) -> None:
        """A reported block lost its mark before the guest used it (the design says when)."""
        self.wasted_hints += 1

    def nonresident_runs(self, start: int, end: int) -> list[list[int]]:
        """[first pfn, count] of each run of dropped pages in [start, end), ascending."""
        nonres = self.nonresident
        runs = []
        pfn = nonres.find(1, start, end)
        while pfn >= 0:
            stop = nonres.find(0, pfn, end)
            if stop < 0:
                stop = end
            runs.append([pfn, stop - pfn])
            pfn = nonres.find(1, stop, end)
        return runs

    def is_resident(self, pfn: int) -> bool:
        return not self.nonresident[pfn]

    def copy_into(self, other: Host) -> None:
        """Make `other` (a host of a machine of the same size) equal to this one."""
        other.nonresident[:] = self.nonresident
        other.nr_nonresident = self.nr_nonresident
        other.reported_pages = self.reported_pages
        other.refaults = self.refaults
        other.wasted_hints = self.wasted_hints

    def figures(self) -> dict[str, int]:
        return {
            "resident_pages": self.resident_pages,
            "reported_pages": self.reported_pages,
            "refaults": self.refaults,
            "wasted_hints": self.wasted_hints,
        }
