// The store must hold, after every delta, exactly the document core/delta.py's
// apply_delta would: checked against deltas produced by the real core.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { Store, StoreError, PAGE_FREE, PAGE_HINTED, PAGE_INFLIGHT, PAGE_ALLOC, mergeDirty, newDirty, runsOf }
  from "../store.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");

// The mirror tests need a Python that imports core/; without one they must
// fail, not pass having checked nothing.
const PYTHONS = [join(root, ".venv", "bin", "python"), "python3"];

function python() {
  for (const p of PYTHONS) {
    try {
      execFileSync(p, ["-c", "import core"], { cwd: root, stdio: "ignore" });
      return p;
    } catch { /* next */ }
  }
  return null;
}

const PY = python();
const traces = PY ? JSON.parse(execFileSync(PY, [join(here, "delta_trace.py")], { cwd: root, maxBuffer: 1 << 28 })) : [];

function checkPages(store) {
  // The incrementally kept page codes equal a rebuild from scratch.
  for (const z of store.zones) {
    const kept = z.page.slice();
    store._rebuildPages(z);
    assert.deepEqual(kept, z.page, `page codes of ${z.name}`);
  }
}

for (const [i, trace] of traces.entries()) {
  test(`store mirrors apply_delta: ${trace.title || i}`, () => {
    const store = new Store();
    store.load(structuredClone(trace.state));
    assert.deepEqual(store.toDocument(), trace.state);
    let checked = 0;
    for (const [k, d] of trace.deltas.entries()) {
      store.apply(d.changes);
      if (d.state) {
        assert.deepEqual(store.toDocument(), d.state, `after delta ${k}`);
        checkPages(store);
        checked++;
      }
    }
    assert.deepEqual(store.toDocument(), trace.final);
    assert.ok(checked > 10);
  });
}

test("the core traces ran", () => {
  assert.ok(PY, `no Python that can import core/ (tried ${PYTHONS.join(", ")}): the store was checked against nothing`);
  assert.equal(traces.length, 5);  // default, tiny, mid, the anomaly tour, free page reporting
  const kinds = new Set();
  for (const t of traces) for (const d of t.deltas) {
    for (const z of Object.values(d.changes.zones ?? {})) {
      for (const k of Object.keys(z)) kinds.add(k);
      for (const ops of Object.values(z.lists ?? {})) kinds.add("full" in ops ? "list:full" : "list:ops");
      for (const [op] of z.residency ?? []) kinds.add(`residency:${op}`);
    }
    for (const k of Object.keys(d.changes)) kinds.add(k);
  }
  for (const k of ["lists", "list:full", "list:ops", "nr_free", "hinted", "reported", "allocated", "pageblocks",
    "flags", "hinted_pages", "residency:drop", "residency:back", "hinting", "costs", "host", "anomalies", "now_ms",
    "stepping"]) {
    assert.ok(kinds.has(k), `the traces exercise ${k}`);
  }
});

// --- hand-made deltas: the format's corners -----------------------------------------

function tinyDoc() {
  const mts = ["Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate"];
  const area = (order, movable) => ({ order, nr_free: movable.length,
    free_list: Object.fromEntries(mts.map((m) => [m, m === "Movable" ? movable : []])) });
  return {
    format: "hinting-state/1", now_ms: 0,
    config: { max_order: 3, pageblock_order: 2, hinting: { min_order: 2, hwm: 1, capacity: 1, delay_ms: 100,
      stepping: true } },
    zones: [{ name: "Normal", start_pfn: 0, pages: 16, flags: { requested: false, active: false }, hinted_pages: null,
      free_area: [area(0, [1]), area(1, [2]), area(2, [8, 12, 4])], hinted: [], pageblocks: ["Movable", "Movable",
        "Movable", "Movable"], allocated: [{ pfn: 0, order: 0, migratetype: "Movable" }], nonresident: [] }],
    hinting: { enabled: false, refcnt: 0, work: { pending: false, due_ms: null, phase: "idle", zone: null }, batch: [],
      boundary: {} },
    host: { resident_pages: 16, reported_pages: 0, refaults: 0, wasted_hints: 0 }, anomalies: [],
  };
}

test("ins: in front of `before`, or at the tail; del first", () => {
  const s = new Store();
  s.load(tinyDoc());
  const d = s.apply({ zones: { Normal: { lists: { "2/Movable": { del: [12, 4], ins: [[12, null], [4, 8]] } } } } });
  assert.deepEqual(s.list("Normal", 2, "Movable"), [4, 8, 12]);
  assert.deepEqual([...d.zones.get("Normal").inserted.get("2/Movable")].sort(), [12, 4].sort());
});

test("a delta that does not fit the state throws (the page resyncs)", () => {
  const s = new Store();
  s.load(tinyDoc());
  assert.throws(() => s.apply({ zones: { Normal: { lists: { "2/Movable": { del: [], ins: [[5, 99]] } } } } }),
    StoreError);
  assert.throws(() => s.apply({ zones: { Normal: { lists: { "7/Movable": { full: [] } } } } }), StoreError);
});

test("unknown zones are ignored, as apply_delta ignores them", () => {
  const s = new Store();
  s.load(tinyDoc());
  const before = JSON.stringify(s.toDocument());
  s.apply({ zones: { DMA: { flags: { requested: true, active: true } } } });
  assert.equal(JSON.stringify(s.toDocument()), before);
});

test("page codes follow blocks between lists, allocations and the batch", () => {
  const s = new Store();
  s.load(tinyDoc());
  const z = s.zone("Normal");
  assert.equal(z.page[0], PAGE_ALLOC + 1);
  assert.equal(z.page[8], PAGE_FREE);
  // 8 is pulled into the batch ...
  s.apply({ zones: { Normal: { lists: { "2/Movable": { del: [8], ins: [] } } } },
    hinting: { ...s.hinting, batch: [{ pfn: 8, order: 2, migratetype: "Movable" }] } });
  assert.equal(z.page[9], PAGE_INFLIGHT);
  assert.equal(s.blockAt(10).kind, "inflight");
  // ... and comes back Hinted at the tail.
  s.apply({ zones: { Normal: { lists: { "2/Movable": { del: [], ins: [[8, null]] } }, hinted: { add: [8], del: [] } } },
    hinting: { ...s.hinting, batch: [] } });
  assert.equal(z.page[11], PAGE_HINTED);
  assert.deepEqual(s.blockAt(11), { zone: "Normal", pfn: 8, order: 2, kind: "free", mt: "Movable", hinted: true,
    key: "2/Movable" });
  // The host drops it, then an allocation of 8 brings two pages back.
  s.apply({ zones: { Normal: { residency: [["drop", 8, 4], ["back", 8, 2]] } } });
  assert.deepEqual(s.toDocument().zones[0].nonresident, [[10, 2]]);
  assert.equal(s.nonresidentIn(8, 2), 2);
});

test("boundary moves mark the cells they left and reached", () => {
  const s = new Store();
  s.load(tinyDoc());
  const h = structuredClone(s.hinting);
  h.boundary = { 2: { Movable: { zone: "Normal", pfn: 4 } } };
  const d = s.apply({ hinting: h });
  assert.ok(d.boundary.has("Normal|2/Movable"));
  assert.ok(d.zones.get("Normal").lists.has("2/Movable"));
  assert.deepEqual(s.boundary(2, "Movable"), { zone: "Normal", pfn: 4 });
});

test("dirty records merge", () => {
  const a = newDirty();
  const s = new Store();
  s.load(tinyDoc());
  mergeDirty(a, s.apply({ now_ms: 5 }));
  mergeDirty(a, s.apply({ zones: { Normal: { nr_free: { 0: 0 } } } }));
  assert.ok(a.now && a.zones.get("Normal").nrFree);
});

test("runsOf", () => {
  assert.deepEqual(runsOf(Uint8Array.from([1, 1, 0, 1, 0, 0, 1]), 100), [[100, 2], [103, 1], [106, 1]]);
  assert.deepEqual(runsOf(new Uint8Array(4), 0), []);
});
