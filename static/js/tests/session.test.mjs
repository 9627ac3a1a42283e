// The history a controller keeps to recreate its session after a server restart.
import { test } from "node:test";
import assert from "node:assert/strict";

import { History, sessionIdFromPath } from "../session.js";

test("steps merge by index, whatever order the fetch and the deltas arrive in", () => {
  const h = new History();
  h.active = true;
  // A delta's steps arrive before the fetched scenario ...
  h.record([{ index: 2, step: { do: "advance", ms: 40 } }]);
  // ... the scenario (fetched later) has the same advance grown further ...
  h.base = { format: "hinting-scenario/1", machine: {}, hinting: {} };
  [{ do: "hinting_start" }, { do: "step" }, { do: "advance", ms: 64 }].forEach((s, i) => h._put(i, s));
  h.known = true;
  // ... and a late delta with the shorter advance does not shrink it back.
  h.record([{ index: 2, step: { do: "advance", ms: 52 } }, { index: 3, step: { do: "alloc", zone: "N", order: 0 } }]);
  const doc = h.scenario();
  assert.deepEqual(doc.steps.map((s) => s.ms ?? s.do), ["hinting_start", "step", 64, "alloc"]);
  assert.equal(doc.format, "hinting-scenario/1");
});

test("a hole in the history means it cannot be replayed", () => {
  const h = new History();
  h.active = true;
  h.base = { format: "hinting-scenario/1" };
  h.known = true;
  h.record([{ index: 1, step: { do: "step" } }]);
  assert.equal(h.scenario(), null);
});

test("a watcher keeps no history", () => {
  const h = new History();
  h.record([{ index: 0, step: { do: "step" } }]);
  assert.equal(h.steps.length, 0);
});

test("session ids come from /s/<id> only", () => {
  assert.equal(sessionIdFromPath("/s/Ab_3-x"), "Ab_3-x");
  assert.equal(sessionIdFromPath("/"), null);
  assert.equal(sessionIdFromPath("/s/a/b"), null);
});
