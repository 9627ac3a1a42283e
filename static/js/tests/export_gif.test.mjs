// gif.js: the block structure of the file (read here from the GIF89a spec), and
// a round trip through an LZW decoder written in this test, not taken from gif.js.
import { test } from "node:test";
import assert from "node:assert/strict";

import { encodeGif } from "../export/gif.js";

/** Parse a GIF into its blocks and decode every frame to RGB. */
function readGif(bytes) {
  let p = 0;
  const u8 = () => bytes[p++];
  const u16 = () => { const v = bytes[p] | (bytes[p + 1] << 8); p += 2; return v; };
  const str = (n) => { let s = ""; for (let i = 0; i < n; i++) s += String.fromCharCode(bytes[p++]); return s; };
  const table = (bits) => { const t = []; for (let i = 0; i < 1 << bits; i++) t.push([u8(), u8(), u8()]); return t; };
  assert.equal(str(6), "GIF89a");
  const gif = { width: u16(), height: u16(), frames: [], loop: null };
  const flags = u8();
  u8(); u8();
  const global = flags & 0x80 ? table((flags & 7) + 1) : null;
  gif.global = !!global;
  let gce = null;
  for (;;) {
    const b = u8();
    if (b === 0x3b) break;
    if (b === 0x21) {
      const label = u8();
      if (label === 0xf9) {
        assert.equal(u8(), 4);
        const f = u8();
        gce = { disposal: (f >> 2) & 7, delay: u16() };
        u8();
        assert.equal(u8(), 0, "GCE terminator");
      } else if (label === 0xff) {
        assert.equal(u8(), 11);
        const app = str(11);
        const n = u8();
        assert.equal(app, "NETSCAPE2.0");
        assert.equal(n, 3);
        assert.equal(u8(), 1);
        gif.loop = u16();
        assert.equal(u8(), 0);
      } else assert.fail(`unexpected extension ${label}`);
      continue;
    }
    assert.equal(b, 0x2c, `image descriptor expected at ${p - 1}`);
    const x = u16(), y = u16(), w = u16(), h = u16();
    const f = u8();
    assert.equal(f & 0x40, 0, "not interlaced");
    const local = f & 0x80 ? table((f & 7) + 1) : null;
    const pal = local ?? global;
    assert.ok(pal, "a colour table");
    const minCode = u8();
    assert.ok(minCode >= 2 && minCode <= 8, "LZW minimum code size");
    const data = [];
    let subBlocks = 0;
    for (let n = u8(); n; n = u8()) { assert.ok(n <= 255); for (let i = 0; i < n; i++) data.push(u8()); subBlocks++; }
    const idx = lzwDecode(data, minCode, w * h);
    const rgb = Array.from(idx, (k) => { assert.ok(k < pal.length); return pal[k]; });
    gif.frames.push({ x, y, w, h, local: !!local, minCode, subBlocks, gce, rgb });
    gce = null;
  }
  assert.equal(p, bytes.length, "trailer is the last byte");
  return gif;
}

function lzwDecode(data, minCode, count) {
  const clear = 1 << minCode;
  const eoi = clear + 1;
  let size = minCode + 1;
  let dict = [];
  const reset = () => { dict = []; for (let i = 0; i < clear; i++) dict.push([i]); dict.push(null, null); size = minCode + 1; };
  reset();
  const out = [];
  let bitPos = 0;
  const read = () => {
    let v = 0;
    for (let i = 0; i < size; i++, bitPos++) v |= ((data[bitPos >> 3] >> (bitPos & 7)) & 1) << i;
    return v;
  };
  let prev = null;
  for (;;) {
    assert.ok(bitPos + size <= data.length * 8, "ran out of data before EOI");
    const code = read();
    if (code === clear) { reset(); prev = null; continue; }
    if (code === eoi) break;
    let entry;
    if (code < dict.length && dict[code]) entry = dict[code];
    else if (code === dict.length && prev) entry = prev.concat(prev[0]);
    else assert.fail(`bad code ${code} (dict ${dict.length})`);
    out.push(...entry);
    if (prev && dict.length < 4096) dict.push(prev.concat(entry[0]));
    if (dict.length === 1 << size && size < 12) size++;
    prev = entry;
  }
  assert.equal(out.length, count, "pixel count");
  return out;
}

const COLOURS = [[0, 114, 178], [204, 121, 167], [86, 180, 233], [240, 228, 66], [0, 158, 115], [230, 159, 0], [213, 94, 0], [27, 29, 31], [255, 255, 255]];
function frame(w, h, f, colour = (x, y) => COLOURS[(((x / 5) | 0) + ((y / 3) | 0) + f) % COLOURS.length]) {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([...colour(x, y), 255], (y * w + x) * 4);
  return { data, width: w, height: h };
}
const same = (fr, g) => {
  for (let i = 0; i < fr.width * fr.height; i++) {
    const e = [fr.data[i * 4], fr.data[i * 4 + 1], fr.data[i * 4 + 2]];
    assert.deepEqual(g.rgb[i], e, `pixel ${i}`);
  }
};

test("frame count, sizes, delays, loop and terminator", () => {
  for (const [w, h, n] of [[1, 1, 1], [2, 3, 2], [40, 30, 3], [97, 13, 12]]) {
    const frames = Array.from({ length: n }, (_, f) => frame(w, h, f));
    const bytes = encodeGif(frames, { width: w, height: h, delayCs: 12 });
    assert.ok(bytes instanceof Uint8Array);
    const g = readGif(bytes);
    const distinct = new Set(frames.flatMap((f) => Array.from({ length: w * h }, (_, i) => f.data.slice(i * 4, i * 4 + 3).join()))).size;
    assert.equal(g.frames.length, n);
    assert.deepEqual([g.width, g.height], [w, h]);
    assert.equal(g.loop, 0, "loops forever by default");
    assert.ok(g.global, "flat frames share one global table");
    for (const [i, fr] of g.frames.entries()) {
      assert.deepEqual([fr.x, fr.y, fr.w, fr.h], [0, 0, w, h]);
      assert.equal(fr.gce.delay, 12);
      assert.equal(fr.minCode, Math.max(2, Math.ceil(Math.log2(Math.max(2, distinct)))), "LZW minimum code size from the table size");
      same(frames[i], fr);
    }
    assert.equal(bytes.at(-1), 0x3b);
  }
});

test("loop count, play once, per-frame delays", () => {
  const frames = [frame(8, 8, 0), frame(8, 8, 1), frame(8, 8, 2)];
  assert.equal(readGif(encodeGif(frames, { loop: 3 })).loop, 3);
  assert.equal(readGif(encodeGif(frames, { loop: false })).loop, null);
  assert.deepEqual(readGif(encodeGif(frames, { delayCs: [5, 50, 500] })).frames.map((f) => f.gce.delay), [5, 50, 500]);
});

test("large frames exercise the 12-bit table and clear codes, and still round-trip exactly", () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const noise = frame(320, 200, 0, () => COLOURS[(rnd() * COLOURS.length) | 0]);
  const g = readGif(encodeGif([noise, frame(320, 200, 1)]));
  assert.equal(g.frames.length, 2);
  assert.ok(g.frames[0].subBlocks > 100);
  same(noise, g.frames[0]);
});

test("more than 256 colours over the animation: exact local tables per frame", () => {
  // each frame has 200 colours, different per frame: 600 in all
  const frames = [0, 1, 2].map((f) => frame(20, 10, f, (x, y) => [f * 80, (y * 20 + x) % 200, 7]));
  const g = readGif(encodeGif(frames));
  assert.equal(g.global, false);
  assert.ok(g.frames.every((fr) => fr.local && fr.minCode === 8));
  frames.forEach((fr, i) => same(fr, g.frames[i]));
});

test("a frame with more than 256 colours keeps its main colours exact, the rest close", () => {
  const fr = frame(64, 64, 0, (x, y) => (x < 32 ? [0, 114, 178] : [x * 4, y * 4, (x * y) & 255]));
  const g = readGif(encodeGif([fr]));
  let worst = 0;
  for (let i = 0; i < 64 * 64; i++) {
    const e = [fr.data[i * 4], fr.data[i * 4 + 1], fr.data[i * 4 + 2]];
    if (i % 64 < 32) assert.deepEqual(g.frames[0].rgb[i], e);
    worst = Math.max(worst, ...e.map((v, k) => Math.abs(v - g.frames[0].rgb[i][k])));
  }
  assert.ok(worst <= 67, `worst channel error ${worst}`);
});

test("alpha is composited over white", () => {
  const data = new Uint8ClampedArray([255, 0, 0, 0, 0, 0, 255, 255]);
  const g = readGif(encodeGif([{ data, width: 2, height: 1 }]));
  assert.deepEqual(g.frames[0].rgb, [[255, 255, 255], [0, 0, 255]]);
});

test("mismatched frames are refused", () => {
  assert.throws(() => encodeGif([]), /no frames/);
  assert.throws(() => encodeGif([frame(4, 4, 0), frame(5, 4, 0)]), /frame 1 is 5x4, not 4x4/);
  assert.throws(() => encodeGif([{ data: new Uint8Array(3), width: 4, height: 4 }]), /too little RGBA/);
});
