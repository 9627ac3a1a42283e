// compare/differ.js on moments of real compare sessions (compare_trace.py runs the core's PairTimeline):
// each sentence must follow from the two machines, and name their own figures.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { Store } from "../store.js";
import { differences, markedDiff } from "../compare/differ.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const PYTHONS = [join(root, ".venv", "bin", "python"), "python3"];
const PY = PYTHONS.find((p) => { try { execFileSync(p, ["-c", "import core"], { cwd: root, stdio: "ignore" }); return true; } catch { return false; } });
const moments = JSON.parse(execFileSync(PY, [join(here, "compare_trace.py")], { cwd: root, maxBuffer: 1 << 26 }));

function at(label) {
  const m = moments.find((x) => x.label === label);
  assert.ok(m, `the trace has a moment "${label}"`);
  const left = new Store(); left.load(m.left);
  const right = new Store(); right.load(m.right);
  const ins = (o) => new Map(Object.entries(o).map(([k, v]) => [k, new Set(v)]));
  const out = differences({ left, right, zone: "Normal", step: m.step, results: m.results, events: m.events,
    inserted: { left: ins(m.inserted.left), right: ins(m.inserted.right) }, holds: m.holds });
  return { m, left, right, out, kinds: out.map((o) => o.kind), text: (k) => out.find((o) => o.kind === k)?.text ?? "" };
}

test("two machines that agree say so, and nothing else", () => {
  const { kinds } = at("same");
  assert.deepEqual(kinds, ["same"]);
});

test("an allocation that got different blocks names both", () => {
  const { m, kinds, text } = at("alloc differs");
  assert.ok(kinds.includes("result"));
  assert.notEqual(m.results.left.pfn, m.results.right.pfn);
  assert.match(text("result"), new RegExp(`block ${m.results.left.pfn} on the left and ${m.results.right.pfn} on the right`));
});

test("marking that differs is reported with what the block is on the other side", () => {
  const { left, right, text } = at("alloc differs");
  const d = markedDiff(left, right, "Normal");
  assert.ok(d.onlyLeft.length + d.onlyRight.length > 0);
  const p = d.onlyLeft[0] ?? d.onlyRight[0];
  assert.match(text("marked"), new RegExp(`^${p}: `));
});

test("a batch out on both sides is said with each side's pages and NR_FREE_PAGES", () => {
  const { m, text } = at("batch out");
  const z = (s) => s.zones[0];
  assert.ok(z(m.left).batch_pages > 0 && z(m.right).batch_pages > 0);
  const t = text("batch");
  assert.match(t, new RegExp(`the seed ${m.left.hinting.batch.length} blocks \\(${z(m.left).batch_pages} pages, NR_FREE_PAGES ${z(m.left).nr_free_pages}\\)`));
  assert.match(t, new RegExp(`reporting ${m.right.hinting.batch.length} blocks \\(${z(m.right).batch_pages} pages`));
});

test("the seed pulling from an Isolate list: reporting skipped it, and the seed's counter drifts", () => {
  const { m, kinds, text } = at("isolate pulled");
  const pull = m.events.left.find((e) => e.kind === "pull" && e.migratetype === "Isolate");
  assert.ok(pull, "the seed pulled from an Isolate list at this step");
  assert.ok(!m.events.right.some((e) => e.kind === "isolate" && e.migratetype === "Isolate"));
  assert.match(text("isolate"), new RegExp(`^Reporting skipped the order-${pull.order} Isolate list the seed just pulled ${pull.pfn} from`));
  assert.ok(kinds.includes("drift"));
  const drift = m.left.anomalies.find((a) => a.kind === "nr_free_pages_drift");
  assert.match(text("drift"), new RegExp(`short by ${drift.pages} pages`));
});

test("the drift stays after the pageblock moves back", () => {
  assert.ok(at("drift").kinds.includes("drift"));
});

test("a free during a stopped cycle lands in front of the seed's boundary; reporting has none", () => {
  const { m, text } = at("landing");
  const [[key, pfns]] = Object.entries(m.inserted.left);
  assert.match(text("landing"), new RegExp(`boundary kept ${pfns[0]} free in front of the Hinted blocks of o${key.split("/")[0]} ${key.split("/")[1]}`));
});

test("zone-lock holds of the step are counted per side", () => {
  const { m, text } = at("passes");
  assert.ok(m.holds.left.length && m.holds.right.length);
  assert.match(text("lock"), new RegExp(`the seed took the zone lock ${m.holds.left.length} times`));
});
