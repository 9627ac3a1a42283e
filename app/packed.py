"""A compact list of JSON values: a session's history (and its results) in memory.

A step held as a Python dict costs ~190 bytes, its result as much again, and
a session may hold two million of them.  Here every full run of `CHUNK`
items is sealed into one zlib-compressed JSON array (the steps of a churn
compress to ~10 bytes each); only the newest, unsealed items stay as Python
objects.  A read of one item keeps its chunk decoded (the next read is
likely near); a range (a replay walking the history) decodes each chunk it
crosses once and keeps none.

The sealed chunks are exactly what the durable store keeps (app/store.py):
chunk k holds items k*CHUNK .. (k+1)*CHUNK-1, so the store writes the bytes
it is given and restores by joining them.

It behaves as the list core.timeline.Timeline expects (append, extend,
indexing, slicing into plain lists, `del x[i:]`, `x[-1] = v`), and it
remembers the lowest index changed since the store last asked
(`take_changed_from`), so a store writes only what changed.
"""

from __future__ import annotations

import json
import marshal
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

CHUNK = 1024
_DECODED_KEPT = 1  # one decoded chunk (~200 KB) for single-item reads; ranges decode without keeping
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
# A Python dict of a step or a result, with its small ints: what an unsealed item costs.
ITEM_BYTES = 200


def pack(items: Sequence[Any]) -> bytes:
    """Items as memory holds them: marshal (8x faster than JSON to write) and zlib."""
    return zlib.compress(marshal.dumps(list(items)), 1)


def unpack(blob: bytes) -> list[Any]:
    return list(marshal.loads(zlib.decompress(blob)))


def pack_json(items: Sequence[Any]) -> bytes:
    """Items as the store keeps them: JSON (readable by any version of anything) and zlib."""
    return zlib.compress(_ENCODE(list(items)).encode("utf-8"), 6)


def unpack_json(blob: bytes) -> list[Any]:
    return list(json.loads(zlib.decompress(blob)))


class PackedList:
    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._chunks: list[bytes] = []
        self._tail: list[Any] = []
        self._decoded: dict[int, list[Any]] = {}
        self._packed_bytes = 0
        self._changed_from: int | None = None
        self._n = 0
        self.extend(items)

    @classmethod
    def from_chunks(cls, chunks: list[bytes], tail: Iterable[Any]) -> PackedList:
        """Rebuild from sealed chunks (each CHUNK items) and the items after them."""
        out = cls()
        out._chunks = list(chunks)
        out._packed_bytes = sum(len(c) for c in chunks)
        out._n = len(chunks) * CHUNK
        out.extend(tail)
        out._changed_from = None
        return out

    # --- size and change tracking -------------------------------------------------

    def __len__(self) -> int:
        return self._n

    @property
    def sealed(self) -> int:
        """Chunks sealed so far (items 0 .. sealed*CHUNK-1 are in them)."""
        return len(self._chunks)

    @property
    def nbytes(self) -> int:
        """About what this list holds in memory."""
        return self._packed_bytes + (len(self._tail) + sum(len(d) for d in self._decoded.values())) * ITEM_BYTES

    def chunk(self, k: int) -> bytes:
        return self._chunks[k]

    def _changed(self, index: int) -> None:
        if self._changed_from is None or index < self._changed_from:
            self._changed_from = index

    def take_changed_from(self) -> int | None:
        """The lowest index written, replaced or cut since the last call (None: nothing changed)."""
        low, self._changed_from = self._changed_from, None
        return low

    # --- writing ------------------------------------------------------------------

    def append(self, item: Any) -> None:
        # Every index changed so far is <= len(self): only the first change since a take counts.
        if self._changed_from is None:
            self._changed_from = self._n
        self._n += 1
        tail = self._tail
        tail.append(item)
        if len(tail) >= CHUNK:
            self._seal()

    def extend(self, items: Iterable[Any]) -> None:
        if isinstance(items, list) and not self._tail and len(items) >= CHUNK:
            # Whole chunks straight from the list (a restore adds a chunk at a time).
            if self._changed_from is None:
                self._changed_from = self._n
            whole = len(items) // CHUNK * CHUNK
            for i in range(0, whole, CHUNK):
                blob = pack(items[i:i + CHUNK])
                self._chunks.append(blob)
                self._packed_bytes += len(blob)
            self._n += whole
            items = items[whole:]
        for item in items:
            self.append(item)

    def _seal(self) -> None:
        blob = pack(self._tail[:CHUNK])
        k = len(self._chunks)
        self._chunks.append(blob)
        self._packed_bytes += len(blob)
        self._decoded.pop(k, None)
        del self._tail[:CHUNK]

    def _unseal_last(self) -> None:
        """Move the last sealed chunk back into the tail (to cut or rewrite inside it)."""
        k = len(self._chunks) - 1
        items = self._decode(k)
        blob = self._chunks.pop()
        self._packed_bytes -= len(blob)
        self._decoded.pop(k, None)
        self._tail = items + self._tail

    def __setitem__(self, index: int, item: Any) -> None:
        n = len(self)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError("PackedList index out of range")
        self._changed(i)
        base = len(self._chunks) * CHUNK
        if i >= base:
            self._tail[i - base] = item
            return
        k = i // CHUNK
        items = self._decode(k)[:]
        items[i - k * CHUNK] = item
        blob = pack(items)
        self._packed_bytes += len(blob) - len(self._chunks[k])
        self._chunks[k] = blob
        self._decoded[k] = items

    def __delitem__(self, index: slice) -> None:
        """Only `del x[i:]` (cutting the end off) is supported: it is all a history needs."""
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("PackedList supports only del x[i:]")
        n = len(self)
        start, stop, _ = index.indices(n)
        if stop < n:
            raise TypeError("PackedList supports only del x[i:]")
        if start >= n:
            return
        self._changed(start)
        while len(self._chunks) * CHUNK > start:
            self._unseal_last()
        del self._tail[start - len(self._chunks) * CHUNK:]
        self._n = start

    # --- reading ------------------------------------------------------------------

    def _decode(self, k: int) -> list[Any]:
        items = self._decoded.get(k)
        if items is None:
            items = unpack(self._chunks[k])
            if len(self._decoded) >= _DECODED_KEPT:
                self._decoded.pop(next(iter(self._decoded)))
            self._decoded[k] = items
        return items

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return self._range(start, stop)
        n = len(self)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError("PackedList index out of range")
        base = len(self._chunks) * CHUNK
        if i >= base:
            return self._tail[i - base]
        return self._decode(i // CHUNK)[i % CHUNK]

    def _range(self, start: int, stop: int) -> list[Any]:
        out: list[Any] = []
        base = len(self._chunks) * CHUNK
        i = start
        while i < min(stop, base):
            k = i // CHUNK
            items = self._decoded.get(k) or unpack(self._chunks[k])
            end = min(stop, (k + 1) * CHUNK)
            out.extend(items[i - k * CHUNK:end - k * CHUNK])
            i = end
        if stop > base:
            out.extend(self._tail[max(0, i - base):stop - base])
        return out

    def __iter__(self) -> Iterator[Any]:
        for k in range(len(self._chunks)):
            # Decoded afresh, not cached: a full walk must not push out what readers keep.
            yield from (self._decoded.get(k) or unpack(self._chunks[k]))
        yield from list(self._tail)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedList | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PackedList({len(self)} items, {self.sealed} sealed, ~{self.nbytes} bytes)"
