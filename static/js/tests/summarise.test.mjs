import { test } from "node:test";
import assert from "node:assert/strict";

import { summarise, budgetFor } from "../summarise.js";

const shown = (segs) => segs.filter((s) => s.kind === "block").map((s) => s.index);
const chips = (segs) => segs.length;
const total = (segs) => segs.reduce((n, s) => n + (s.kind === "block" ? 1 : s.count), 0);

test("short lists are shown whole", () => {
  assert.deepEqual(shown(summarise(5, { budget: 8 })), [0, 1, 2, 3, 4]);
  assert.deepEqual(summarise(0, { budget: 8 }), []);
});

test("long lists keep head and tail and fit the budget", () => {
  const segs = summarise(100, { budget: 9 });
  assert.equal(total(segs), 100);
  assert.ok(chips(segs) <= 9);
  const s = shown(segs);
  assert.ok(s.includes(0) && s.includes(99));
  assert.ok(s.includes(1) && s.includes(98), "the budget is used around the anchors");
  assert.equal(segs.filter((x) => x.kind === "elided").length, 1);
});

test("the boundary's neighbourhood stays visible", () => {
  const segs = summarise(100, { budget: 11, boundary: 50 });
  const s = shown(segs);
  assert.ok(s.includes(49) && s.includes(50), "the blocks on both sides of the marker");
  assert.ok(s.includes(51) && s.includes(48));
  assert.equal(total(segs), 100);
  assert.ok(chips(segs) <= 11);
  // The elided runs are in order and do not overlap.
  let next = 0;
  for (const x of segs) {
    const start = x.kind === "block" ? x.index : x.start;
    assert.equal(start, next);
    next = start + (x.kind === "block" ? 1 : x.count);
  }
});

test("a boundary at the list head (marker at the end) keeps the tail", () => {
  const s = shown(summarise(40, { budget: 6, boundary: 40 }));
  assert.ok(s.includes(39) && s.includes(38) && s.includes(0));
});

test("focused entries stay visible even past the budget", () => {
  const segs = summarise(200, { budget: 5, boundary: 120, focus: [77, 150] });
  const s = shown(segs);
  for (const i of [0, 199, 119, 120, 77, 150]) assert.ok(s.includes(i), `index ${i}`);
  assert.equal(total(segs), 200);
});

test("a gap of one shows its block rather than '1 more'", () => {
  const segs = summarise(6, { budget: 5 });
  assert.equal(total(segs), 6);
  for (const x of segs) if (x.kind === "elided") assert.ok(x.count >= 2);
});

test("wide elided chips take their width out of the budget", () => {
  const narrow = summarise(100, { budget: 10, elidedCost: 1 });
  const wide = summarise(100, { budget: 10, elidedCost: 3 });
  assert.equal(shown(narrow).length, 9);
  assert.equal(shown(wide).length, 7);
});

test("budgets never drop below three chips", () => {
  assert.equal(budgetFor(10, 40), 3);
  assert.equal(Math.floor(budgetFor(400, 40, 4, 16)), 8);
  assert.ok(chips(summarise(50, { budget: 1 })) <= 3);
});
