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

/** A fake server: the history it holds, answering /scenario and /steps as app/main.py does. */
function fakeServer(history) {
  const calls = [];
  const fetchImpl = async (url) => {
    calls.push(url);
    const u = new URL(url, "http://x");
    if (u.pathname.endsWith("/scenario")) {
      return { ok: true, json: async () => ({ format: "hinting-scenario/1", machine: {}, hinting: {}, steps: history.slice() }) };
    }
    const start = +u.searchParams.get("start");
    const stop = Math.min(+(u.searchParams.get("stop") ?? history.length), history.length);
    return { ok: true, json: async () => ({ start, stop, length: history.length, steps: history.slice(start, stop) }) };
  };
  return { fetchImpl, calls };
}

test("steps a running session's deltas left out are fetched, so the copy is whole", async () => {
  const history = [{ do: "hinting_start" }];
  const { fetchImpl, calls } = fakeServer(history);
  const h = new History({ fetchImpl, fillGapMs: 1 });
  await h.fetchFor("S1", 1);
  for (let i = 1; i <= 50; i++) history.push({ do: "alloc", zone: "N", order: i % 3 });
  // A running delta names only its newest steps.
  h.record([{ index: 49, step: history[49] }, { index: 50, step: history[50] }], 51);
  assert.equal(h.scenario(), null);
  assert.equal(h.missing(), 48);
  assert.equal(h.restorable().steps, 1); // only the prefix without a gap
  await h.fill();
  assert.deepEqual(h.scenario().steps, history);
  assert.ok(calls.some((c) => c.includes("/steps?start=1&stop=51")));
  assert.deepEqual(h.restorable(), { scenario: h.scenario(), steps: 51, of: 51 });
});

test("a fork or an undo shortens the copy to the server's history length", async () => {
  const history = [{ do: "step" }, { do: "step" }, { do: "step" }];
  const { fetchImpl } = fakeServer(history);
  const h = new History({ fetchImpl });
  await h.fetchFor("S2", 3);
  h.record([{ index: 1, step: { do: "hinting_stop" } }], 2); // acted at step 1: the old future became a branch
  assert.deepEqual(h.scenario().steps.map((s) => s.do), ["step", "hinting_stop"]);
});

test("a restore without the whole history says how far it got", () => {
  const h = new History();
  h.active = true;
  h.known = true;
  h.base = { format: "hinting-scenario/1" };
  h.record([{ index: 0, step: { do: "step" } }, { index: 2, step: { do: "step" } }], 3);
  const r = h.restorable();
  assert.equal(r.steps, 1);
  assert.equal(r.of, 3);
  assert.equal(r.scenario.steps.length, 1);
});
