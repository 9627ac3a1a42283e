// Permalinks: the scenario, step and view survive the trip through a URL fragment.
import { test } from "node:test";
import assert from "node:assert/strict";

import { b64urlDecode, b64urlEncode, checkPayload, codeFromHash, decodePayload, encodePayload, makeLink } from "../permalink.js";

const scenario = {
  format: "hinting-scenario/1", title: "review me",
  machine: { max_order: 5, pageblock_order: 2, zones: [{ name: "Normal", pages: 32 }] },
  hinting: { min_order: 2, hwm: 1, capacity: 4, delay_ms: 100 },
  steps: [{ do: "alloc", zone: "Normal", order: 2, migratetype: "Movable", as: "a" }, { do: "free", ref: "a" }, { do: "hinting_start" }],
};

test("base64url round-trips every byte value, with no padding or URL-unsafe characters", () => {
  const bytes = new Uint8Array(1000).map((_, i) => (i * 37) & 255);
  const text = b64urlEncode(bytes);
  assert.match(text, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(b64urlDecode(text), bytes);
  for (let n = 0; n < 5; n++) assert.deepEqual(b64urlDecode(b64urlEncode(bytes.subarray(0, n))), bytes.subarray(0, n));
});

test("a payload survives encode and decode", async () => {
  const view = { zone: "Normal", sel: { t: "l", zone: "Normal", order: 2, mt: "Movable" }, filter: "bnd", expanded: [] };
  const code = await encodePayload({ scenario, step: 2, view });
  assert.match(code, /^[A-Za-z0-9_-]+$/);
  const back = await decodePayload(code);
  assert.deepEqual(back, { scenario, step: 2, view });
});

test("a long, repetitive scenario still fits a URL; a damaged code is refused in words", async () => {
  const long = { ...scenario, steps: Array.from({ length: 2000 }, (_, i) => ({ do: "advance", ms: 10 + (i % 7) })) };
  const code = await encodePayload({ scenario: long, step: 10, view: null });
  assert.ok(code.length < 6000, `2,000 steps take ${code.length} characters`);
  assert.ok(code.length * 10 < JSON.stringify(long).length, "deflate-raw + base64url is far shorter than the JSON");
  await assert.rejects(decodePayload(code.slice(0, 40)), /damaged|cut short/);
  await assert.rejects(decodePayload("not*base64"), /damaged/);
});

test("payloads are checked: the step must be a position of the scenario", () => {
  assert.equal(checkPayload({ scenario }).step, 3);
  assert.throws(() => checkPayload({ scenario, step: 4 }), /not in 0\.\.3/);
  assert.throws(() => checkPayload({ scenario: { steps: "x" } }), /hinting-scenario/);
  assert.throws(() => checkPayload({ v: 9, scenario }), /version 9/);
});

test("the code is found in a hash, alone or with other parameters", () => {
  assert.equal(codeFromHash("#p=abc_-1"), "abc_-1");
  assert.equal(codeFromHash("#x=1&p=Zz"), "Zz");
  assert.equal(codeFromHash("#q=1"), null);
  assert.equal(codeFromHash(""), null);
});

test("a link too long for a URL is stored, and the link names it", async () => {
  const short = await makeLink({ scenario, step: 1, view: null }, { origin: "http://lab", store: () => assert.fail("stored") });
  assert.equal(short.stored, false);
  assert.match(short.url, /^http:\/\/lab\/#p=[A-Za-z0-9_-]+$/);
  let body = null;
  const long = await makeLink({ scenario, step: 1, view: { zone: "Normal" } }, {
    origin: "http://lab", maxLen: 20, store: async (b) => { body = b; return { id: "abcdefghijkl", url: "/l/abcdefghijkl" }; },
  });
  assert.deepEqual(long, { url: "http://lab/l/abcdefghijkl", stored: true, length: short.url.length + long.length - short.url.length });
  assert.deepEqual(body, { scenario, step: 1, view: { zone: "Normal" } });
});
