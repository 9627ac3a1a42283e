// qr.js against independent encoders: fixtures/qr-reference.json holds matrices
// made by python-qrcode with a forced version and mask (each also equal to
// segno's with its padding fix, heuer/segno#148), and segno's own mask choices.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { qrMatrix, qrSvg, penalty } from "../qr.js";

const here = dirname(fileURLToPath(import.meta.url));
const ref = JSON.parse(readFileSync(join(here, "fixtures", "qr-reference.json"), "utf8"));
const bits = (m) => m.map((r) => r.map((v) => (v ? "1" : "0")).join(""));

test("matrices equal the reference module for module (forced version and mask)", () => {
  assert.ok(ref.cases.length >= 15);
  const versions = new Set();
  for (const c of ref.cases) {
    const m = qrMatrix(c.text, { ecc: c.ecc, version: c.version, mask: c.mask });
    assert.equal(m.length, c.version * 4 + 17);
    assert.deepEqual(bits(m), c.rows, `${c.ecc} v${c.version} mask ${c.mask} ${JSON.stringify(c.text).slice(0, 40)}`);
    versions.add(c.version);
  }
  for (const v of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) assert.ok(versions.has(v), `fixture covers version ${v}`);
});

// The one known difference: segno resumes its 1:1:3:1:1 search 7 modules after a
// counted pattern, so it misses a second pattern sharing that pattern's last module;
// the spec counts every occurrence.
const SEGNO_N3_SKIP = new Set(["rc-k96o0r0zr5gil9b3c5nz8vpgec12ml."]);

test("automatic version and mask agree with segno", () => {
  let same = 0;
  for (const c of ref.auto) {
    const m = qrMatrix(c.text, { ecc: c.ecc });
    assert.equal(m.version, c.version, c.text);
    if (SEGNO_N3_SKIP.has(c.text)) assert.notEqual(m.mask, c.mask);
    else { assert.equal(m.mask, c.mask, `${c.ecc} ${c.text}`); same++; }
  }
  assert.ok(same >= ref.auto.length - SEGNO_N3_SKIP.size);
});

test("the chosen mask has the lowest penalty of all eight", () => {
  for (const [text, ecc] of [["http://10.0.0.5:8000/s/k3J9", "M"], ["hello world", "L"], ["x".repeat(90), "H"], ["a".repeat(200), "Q"]]) {
    const auto = qrMatrix(text, { ecc });
    const scores = [];
    for (let k = 0; k < 8; k++) {
      const m = qrMatrix(text, { ecc, mask: k });
      clearFormatAndVersion(m);
      scores.push(penalty(m));
    }
    assert.equal(auto.mask, scores.indexOf(Math.min(...scores)), `${text.slice(0, 20)} ${scores}`);
  }
});

function clearFormatAndVersion(m) {
  const n = m.length;
  const ver = (n - 17) / 4;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const fmt = (y === 8 && (x <= 8 || x >= n - 8)) || (x === 8 && (y <= 8 || y >= n - 8));
      const vi = ver >= 7 && ((y < 6 && x >= n - 11 && x < n - 8) || (x < 6 && y >= n - 11 && y < n - 8));
      if ((fmt || vi) && x !== 6 && y !== 6) m[y][x] = false;
    }
  }
}

test("format information decodes to the level and mask, in both copies", () => {
  const LEVEL = { L: 1, M: 0, Q: 3, H: 2 };
  for (const ecc of ["L", "M", "Q", "H"]) {
    for (let mask = 0; mask < 8; mask++) {
      const m = qrMatrix("format", { ecc, mask });
      const n = m.length;
      const a = [];
      const b = [];
      for (let i = 0; i <= 5; i++) a[i] = m[i][8];
      a[6] = m[7][8]; a[7] = m[8][8]; a[8] = m[8][7];
      for (let i = 9; i < 15; i++) a[i] = m[8][14 - i];
      for (let i = 0; i < 8; i++) b[i] = m[8][n - 1 - i];
      for (let i = 8; i < 15; i++) b[i] = m[n - 15 + i][8];
      const val = (arr) => arr.reduce((v, bit, i) => v | ((bit ? 1 : 0) << i), 0) ^ 0x5412;
      assert.equal(val(a), val(b));
      assert.equal(val(a) >> 10, (LEVEL[ecc] << 3) | mask);
      assert.equal(m[n - 8][8], true, "dark module");
    }
  }
});

test("smallest version that fits, byte-mode capacities of the spec", () => {
  for (const [ecc, n, ver] of [["L", 17, 1], ["L", 18, 2], ["M", 14, 1], ["M", 15, 2], ["Q", 11, 1], ["H", 7, 1], ["H", 8, 2],
    ["M", 213, 10], ["M", 214, 11], ["L", 2953, 40]]) {
    assert.equal(qrMatrix("a".repeat(n), { ecc }).version, ver, `${ecc} ${n} bytes`);
  }
  assert.equal(qrMatrix("é".repeat(7), { ecc: "L" }).version, 1, "UTF-8: 14 bytes"); // counted in bytes, not characters
  assert.throws(() => qrMatrix("a".repeat(2954), { ecc: "L" }), /too long/);
});

test("bad options are refused with a clear message", () => {
  assert.throws(() => qrMatrix("x", { ecc: "X" }), /ecc must be L, M, Q or H/);
  assert.throws(() => qrMatrix("x", { version: 41 }), /version must be 1-40/);
  assert.throws(() => qrMatrix("x".repeat(30), { version: 1 }), /do not fit version 1/);
  assert.throws(() => qrMatrix("x", { mask: 8 }), /mask must be 0-7/);
});

test("qrSvg draws exactly the dark modules, with a quiet zone", () => {
  const text = "http://10.0.0.5:8000/s/k3J9?a=1&b=<2>";
  const m = qrMatrix(text, { ecc: "Q" });
  const svg = qrSvg(text, { ecc: "Q", scale: 5, margin: 4 });
  const n = m.length + 8;
  assert.match(svg, new RegExp(`^<svg xmlns="http://www.w3.org/2000/svg" width="${n * 5}" height="${n * 5}" viewBox="0 0 ${n} ${n}"`));
  assert.ok(!svg.includes("<2>") && svg.includes("&#38;b=&#60;2&#62;"), "text escaped in the title");
  const d = /<path d="([^"]+)"/.exec(svg)[1];
  const drawn = Array.from({ length: m.length }, () => new Array(m.length).fill(false));
  for (const [, x, y, w] of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    for (let i = 0; i < +w; i++) drawn[+y - 4][+x - 4 + i] = true;
  }
  assert.deepEqual(drawn, m.map((r) => [...r]));
  assert.equal(svg, qrSvg(text, { ecc: "Q", scale: 5, margin: 4 }), "deterministic");
});
