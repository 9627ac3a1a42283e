// Time travel's pure parts: the strip's mapping, step words, the scrub throttle, tours, views, embeds.
import { test } from "node:test";
import assert from "node:assert/strict";

import { Autoplay, parseEmbed, playRange } from "../embed.js";
import { shouldApply, viewOf } from "../present.js";
import { frameRange, slug } from "../share.js";
import { Throttle, describeStep, posAt, xOf } from "../timeline.js";
import { boundaryText, choices, judge, sameStep, stripStep, tourModel } from "../tour.js";

test("positions and x map onto each other across the strip, clamped at its ends", () => {
  for (const length of [1, 7, 10000]) {
    for (const pos of [0, Math.floor(length / 3), length]) assert.equal(posAt(xOf(pos, 900, length), 900, length), pos);
  }
  assert.equal(posAt(-50, 900, 100), 0);
  assert.equal(posAt(5000, 900, 100), 100);
  assert.equal(posAt(400, 900, 0), 0);
  // 10,000 steps on 900 px: neighbouring pixels are ~11 steps apart, every position reachable by keys.
  assert.ok(posAt(451, 900, 10000) - posAt(450, 900, 10000) <= 12);
});

test("steps in words", () => {
  assert.equal(describeStep({ do: "alloc", zone: "Normal", order: 2, migratetype: "Movable", as: "b4" }), "alloc Normal o2 Movable as b4");
  assert.equal(describeStep({ do: "free", ref: "b4" }), "free b4");
  assert.equal(describeStep({ do: "free", pfn: 64, order: 3 }), "free 64 o3");
  assert.equal(describeStep({ do: "advance", ms: 100 }), "advance 100 ms");
  assert.equal(describeStep({ do: "stepping", on: true }), "stepping on");
});

function fakeClock() {
  const c = { t: 0, timers: [], now: () => c.t, later: (f, ms) => c.timers.push([c.t + ms, f]) };
  c.advance = async (ms) => {
    const end = c.t + ms;
    for (;;) {
      c.timers.sort((a, b) => a[0] - b[0]);
      if (!c.timers.length || c.timers[0][0] > end) break;
      const [at, f] = c.timers.shift();
      c.t = at;
      f();
      await new Promise((r) => setImmediate(r));
    }
    c.t = end;
    await new Promise((r) => setImmediate(r));
  };
  return c;
}

test("a scrub over thousands of positions sends at most 20 moves a second, one at a time, ending where the pointer stopped", async () => {
  const clock = fakeClock();
  const sent = [];
  let inFlight = 0;
  let most = 0;
  const th = new Throttle(async (pos) => {
    inFlight++; most = Math.max(most, inFlight); sent.push([clock.t, pos]);
    await new Promise((r) => setImmediate(r));
    inFlight--;
  }, 20, clock);
  for (let i = 0; i <= 3000; i++) { th.push(i * 3); if (i % 3 === 0) await clock.advance(1); } // ~1 s of dragging
  await clock.advance(500);
  assert.equal(most, 1);
  assert.ok(sent.length <= 22, `${sent.length} moves`);
  for (let i = 1; i < sent.length; i++) assert.ok(sent[i][0] - sent[i - 1][0] >= 50 - 1e-9);
  assert.equal(sent.at(-1)[1], 9000);
});

const tourDoc = {
  kind: "tour", title: "T", intro: "hello", outro: "bye",
  steps: [
    { do: "alloc", zone: "Normal", order: 2, migratetype: "Movable", as: "a", setup: true },
    { do: "hinting_start", setup: true },
    { do: "free", ref: "a", say: "free it" },
    { do: "advance", ms: 100, say: "cycle", predict: { prompt: "where?", boundary: { order: 2, migratetype: "Movable", zone: "Normal" } } },
  ],
};

test("a tour: setup steps counted, narrated steps kept, teaching fields stripped for the server", () => {
  const m = tourModel(tourDoc);
  assert.equal(m.setup, 2);
  assert.deepEqual(m.steps.map((s) => s.say), ["free it", "cycle"]);
  assert.deepEqual(stripStep(m.steps[1]), { do: "advance", ms: 100 });
  assert.ok(sameStep({ ms: 100, do: "advance" }, m.steps[1]));
  assert.ok(!sameStep({ do: "advance", ms: 10 }, m.steps[1]));
});

test("prediction: the choices are the list head and every aligned block of the zone; the verdict follows the boundary", () => {
  assert.deepEqual(choices({ start: 0, pages: 32 }, 2), ["head", 0, 4, 8, 12, 16, 20, 24, 28]);
  assert.deepEqual(choices({ start: 64, pages: 16 }, 3), ["head", 64, 72]);
  assert.equal(choices({ start: 0, pages: 262144 }, 2), null);
  assert.ok(judge(8, { zone: "Normal", pfn: 8 }, "Normal"));
  assert.ok(!judge(8, { zone: "Normal", pfn: 16 }, "Normal"));
  assert.ok(judge("head", { zone: "Normal", pfn: null }, "Normal"));
  assert.ok(!judge("head", { zone: "DMA32", pfn: null }, "Normal"));
  assert.ok(!judge(undefined, { zone: "Normal", pfn: 8 }, "Normal"));
  assert.equal(boundaryText(null), "unset");
  assert.equal(boundaryText({ zone: "Normal", pfn: null }, "Normal"), "the list head");
  assert.equal(boundaryText({ zone: "DMA32", pfn: 8 }, "Normal"), "block 8 (of DMA32)");
});

test("views: what a viewer can reproduce, small, and not applied back to its sender", () => {
  const v = viewOf({ zone: "Normal", selection: { type: "list", zone: "Normal", order: 2, mt: "Movable" },
    expanded: new Set(Array.from({ length: 50 }, (_, i) => `k${i}`)), filter: "bnd", zoom: { start: 0, pages: 512 }, tour: "tour-x" });
  assert.deepEqual(v.sel, { t: "l", zone: "Normal", order: 2, mt: "Movable" });
  assert.equal(v.expanded.length, 20);
  assert.ok(JSON.stringify(v).length < 4096);
  assert.equal(viewOf({ zone: "N", selection: { type: "event", ev: {} } }).sel, null);
  const last = null;
  assert.ok(shouldApply({ ...v, by: "abc" }, { following: true, me: "def", last }));
  assert.ok(!shouldApply({ ...v, by: "abc" }, { following: true, me: "abc", last }));
  assert.ok(!shouldApply({ ...v, by: "abc" }, { following: false, me: "def", last }));
  assert.ok(!shouldApply({ ...v, by: "abc" }, { following: true, me: "def", last: JSON.stringify({ ...v, by: "abc" }) }));
});

test("embed options and the range autoplay plays", () => {
  const o = parseEmbed("?embed=1&autoplay=1&from=3&to=20&speed=2");
  assert.deepEqual(o, { embed: true, autoplay: true, from: 3, to: 20, speed: 2, loop: true });
  assert.deepEqual(parseEmbed("?embed=1&speed=-4&loop=0&from=x"), { embed: true, autoplay: false, from: null, to: null, speed: 1, loop: false });
  assert.deepEqual(playRange(o, 40, null), { from: 3, to: 20 });
  assert.deepEqual(playRange({ ...o, to: 99 }, 40, null), { from: 3, to: 40 });
  assert.deepEqual(playRange({ from: null, to: null }, 13, { setup: 13, steps: 9 }), { from: 13, to: 22 });
  // With a tour, from and to count its own steps (README's example: from=3&to=20 on a 9-step tour).
  assert.deepEqual(playRange(o, 13, { setup: 13, steps: 9 }), { from: 16, to: 22 });
  assert.deepEqual(playRange({ from: 20, to: 30 }, 13, { setup: 13, steps: 9 }), { from: 22, to: 22 });
  assert.equal(typeof Autoplay, "function");
});

test("exports: file names and frame ranges", () => {
  assert.equal(slug("Anomaly: a free swallows a Hinted buddy"), "anomaly-a-free-swallows-a-hinted-buddy");
  assert.equal(slug(""), "hinting-lab");
  assert.deepEqual(frameRange(3, 9, 10), { start: 3, stop: 9, count: 7 });
  assert.throws(() => frameRange(5, 5, 10), /after the first/);
  assert.throws(() => frameRange(0, 11, 10), /0 to 10/);
  assert.throws(() => frameRange(0, 400, 1000), /at most 150/);
});
