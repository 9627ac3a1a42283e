// A free page reporting state speaks reporting's words (terms.js) in the panel
// models and the SVG picture, and none of the seed's; a seed state keeps the
// seed's.  fixtures/state-reporting-report.json is `python -m core replay` of a
// two-zone reporting scenario stepped until its second cycle in Normal stops at
// report (o10 Movable, budget 0; four blocks Reported in each zone).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { renderStateSvg } from "../export/svg.js";
import { batchModel } from "../panels/batch.js";
import { cellModel, rowsOf } from "../panels/freelists.js";
import { nextStep, zoneHeadModel } from "../panels/zonehead.js";
import { Store } from "../store.js";
import { designOf, terms } from "../terms.js";
import "../terms-reporting.js";

const here = dirname(fileURLToPath(import.meta.url));
const load = (name) => JSON.parse(readFileSync(join(here, "fixtures", name), "utf8"));
const storeOf = (doc) => { const s = new Store(); s.load(doc); return s; };
const SEED_ONLY = /\breact\b|Hinted|\bhinted\b|\bhwm\b|page_hinting|boundar/;
/** The picture's words: its text nodes, not its markup (ids and data-role names are not read by anyone). */
const wordsOf = (svg) => [...svg.matchAll(/>([^<]+)</g)].map((m) => m[1]).join("\n");

test("the design of a state picks its words; an unknown or missing design reads as the seed", () => {
  const rep = storeOf(load("state-reporting-report.json"));
  assert.equal(designOf(rep), "reporting");
  assert.equal(terms(rep).marked, "Reported");
  assert.deepEqual(terms(rep).phases, ["walk", "report", "drain"]);
  const seed = storeOf(load("state-two-zones-drain.json"));
  assert.equal(designOf(seed), "seed");
  assert.equal(terms(seed).host, "react");
  assert.equal(designOf({ config: { hinting: {} } }), "seed");
  assert.equal(designOf({ config: { hinting: { design: "nonesuch" } } }), "seed");
});

test("reporting's header model: stopped before report in a list's cycle, with its budget; Reported pages counted", () => {
  const store = storeOf(load("state-reporting-report.json"));
  const m = zoneHeadModel(store, store.zone("Normal"));
  assert.equal(m.work.words, "stopped before report");
  assert.equal(m.work.note, "o10 Movable · budget 0 · the zone lock is dropped");
  assert.equal(m.state, "active");
  assert.equal(m.hinted, 4 * 1024); // four Reported order-10 blocks, no hinted_pages in this design
  assert.equal(m.cfg.delay_ms, 100);
  const next = nextStep(store);
  assert.match(next, /^report: the host drops the batch's 4096 pages \(4 blocks\)/);
  assert.doesNotMatch(next, SEED_ONLY);
  const b = batchModel(store, store.zone("Normal"));
  assert.equal(b.next.step, "report");
  assert.doesNotMatch(b.next.text, SEED_ONLY);
});

test("reporting's rows count Reported blocks per order, and the walk position is a marker the grid keeps in view", () => {
  const doc = load("state-reporting-report.json");
  const store = storeOf(doc);
  const z = store.zone("Normal");
  const o10 = rowsOf(store, z).find((r) => r.order === 10);
  assert.equal(o10.hinted, 4);
  assert.equal(o10.hintedKnown, true);
  const [w] = doc.hinting.walk;
  const m = cellModel(store, z, w.order, w.migratetype, { budget: 3 });
  assert.equal(m.marker.kind, "walk");
  assert.equal(m.marker.target, w.pfn);
  assert.ok(m.segs.some((s) => s.kind === "block" && s.pfn === w.pfn), "the walk position's block is shown");
});

test("the SVG picture of a reporting state uses reporting's words and none of the seed's", () => {
  const st = load("state-reporting-report.json");
  const svg = renderStateSvg(st, { zone: "Normal", width: 1280 });
  const words = wordsOf(svg);
  assert.ok(svg.includes(`<g data-role="walk" data-target="${st.hinting.walk[0].pfn}">`), "the walk position is drawn");
  assert.ok(!svg.includes('data-role="boundary"'), "no boundary markers");
  for (const w of ["page_reporting_cycle → scatterlist", "host · report", "FREE · REPORTED", "nr_free · Reported", "not reported",
    "free, Reported", "walk", "STATE", "delay_ms"]) assert.ok(words.includes(w), w);
  assert.doesNotMatch(words, SEED_ONLY);
  const proj = wordsOf(renderStateSvg(st, { zone: "Normal", theme: "projector", width: 1280 }));
  assert.ok(proj.includes("host · report"));
  assert.doesNotMatch(proj, SEED_ONLY, "projector");
  const seed = wordsOf(renderStateSvg(load("state-two-zones-drain.json"), { zone: "Normal", width: 1280 }));
  for (const w of ["FREE · HINTED", "nr_free · Hinted", "free, Hinted", "boundary → list head", "REFCNT", "react"]) assert.ok(seed.includes(w), w);
});
