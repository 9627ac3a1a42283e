// The event log's filters: every category and tag comes from category(ev) and tag(ev) (the server's when it
// names them), "why not" events stay hidden until asked for, and each filter keeps its own categories.
import { test } from "node:test";
import assert from "node:assert/strict";

import { FILTERS, category, matches, tag } from "../views/events.js";

const ev = (kind, extra = {}) => ({ kind, text: `${kind} happened`, fn: null, blocks: [], ...extra });

test("category and tag are the server's; an event without them reads as hinting, by its kind", () => {
  assert.equal(category(ev("boundary_add", { category: "boundary" })), "boundary");
  assert.equal(category(ev("pull", { category: "work" })), "work");
  assert.equal(category(ev("pull")), "hinting");
  assert.equal(category(ev("wasted", { anomaly: "hint_lost_on_merge" })), "anomaly");
  assert.equal(tag(ev("expand", { tag: "SPLIT" })), "SPLIT");
  assert.equal(tag(ev("brand_new_kind")), "BRAND_NEW_KIND");
});

test("each filter shows its categories; quiet events only when asked", () => {
  const all = [ev("step", { category: "step" }), ev("alloc", { category: "alloc" }), ev("merge", { category: "free" }),
    ev("pull", { category: "hinting" }), ev("work_start", { category: "work" }),
    ev("boundary_del", { category: "boundary" }),
    ev("anomaly", { category: "anomaly", anomaly: "stale_boundary_used" }),
    ev("wasted", { category: "hinting", anomaly: "hinted_buddy_merged" })];
  const shown = (f) => all.filter((e) => matches(e, f, "")).map((e) => e.kind);
  assert.deepEqual(shown("all"), all.map((e) => e.kind));
  assert.deepEqual(shown("step"), ["step"]);
  assert.deepEqual(shown("allocfree"), ["alloc", "merge"]);
  assert.deepEqual(shown("hint"), ["pull", "work_start", "wasted"]);
  assert.deepEqual(shown("bnd"), ["boundary_del"]);
  assert.deepEqual(shown("anom"), ["anomaly", "wasted"]);
  assert.deepEqual(FILTERS.map(([k]) => k), ["all", "step", "allocfree", "hint", "bnd", "anom"]);
  const quiet = ev("notify", { category: "hinting", quiet: true, text: "did nothing, because nr_free is below hwm" });
  assert.equal(matches(quiet, "all", ""), false);
  assert.equal(matches(quiet, "all", "", { quiet: true }), true);
  assert.equal(matches(quiet, "bnd", "", { quiet: true }), false);
});

test("a projector drops the clock's rows; text filters match words anywhere", () => {
  const adv = ev("step", { step_do: { do: "advance", ms: 16 } });
  assert.equal(matches(adv, "all", "", { projector: true }), false);
  assert.equal(matches(adv, "all", ""), true);
  assert.equal(matches(ev("alloc", { blocks: [272] }), "all", "272"), true);
  assert.equal(matches(ev("alloc", { blocks: [272] }), "all", "alloc 273"), false);
});
