// Animated GIF89a encoder from the spec (no dependency, runs in node).  The
// pictures are flat-coloured: the palette is exact when the colours fit in 256
// (one global table if all frames together fit, else one per frame), otherwise
// see popular().  Alpha is composited over white.  LZW codes grow to 12 bits,
// then a clear code restarts the table.

/**
 * Encode RGBA frames as an animated GIF.
 * Why: the one animation format every slide tool, chat and issue tracker shows
 * inline; needs no MediaRecorder, so it also works in node.
 * @param {Array<{data: Uint8ClampedArray|Uint8Array, width: number, height: number}>} frames RGBA, row-major
 * @param {object} [opts]
 * @param {number} [opts.width]   logical screen size (default: the first frame's)
 * @param {number} [opts.height]
 * @param {number|number[]} [opts.delayCs] delay per frame in 1/100 s (default 10), or one per frame
 * @param {boolean|number} [opts.loop]     true: forever (default); a number: that many repeats; false: play once
 * @returns {Uint8Array} the GIF file
 */
export function encodeGif(frames, opts = {}) {
  if (!Array.isArray(frames) || frames.length === 0) throw new Error("encodeGif: no frames");
  const width = opts.width ?? frames[0].width;
  const height = opts.height ?? frames[0].height;
  if (!(width > 0 && height > 0 && width < 65536 && height < 65536)) throw new Error(`encodeGif: bad size ${width}x${height}`);
  frames.forEach((f, i) => {
    if (f.width !== width || f.height !== height) throw new Error(`encodeGif: frame ${i} is ${f.width}x${f.height}, not ${width}x${height}`);
    if (!f.data || f.data.length < width * height * 4) throw new Error(`encodeGif: frame ${i} has too little RGBA data`);
  });
  const rgb = frames.map((f) => toRgb(f.data, width * height));
  const out = new ByteWriter();
  const counts = rgb.map(countColours);
  const union = new Map();
  for (const c of counts) {
    for (const [k, n] of c) { union.set(k, (union.get(k) ?? 0) + n); if (union.size > 256) break; }
    if (union.size > 256) break;
  }
  const global = union.size <= 256 ? [...union.keys()].sort((a, b) => a - b) : null;
  out.str("GIF89a");
  out.u16(width); out.u16(height);
  const gBits = global ? tableBits(global.length) : 0;
  out.byte(global ? 0x80 | ((gBits - 1) << 4) | (gBits - 1) : 0); // global table flag, colour resolution, size
  out.byte(0); out.byte(0); // background index, aspect ratio
  if (global) writeTable(out, global, gBits);
  if (opts.loop !== false) {
    const reps = opts.loop === true || opts.loop === undefined ? 0 : Math.max(0, Math.min(65535, opts.loop | 0));
    out.bytes([0x21, 0xff, 11]); out.str("NETSCAPE2.0"); out.bytes([3, 1]); out.u16(reps); out.byte(0);
  }
  rgb.forEach((px, i) => {
    const pal = global ?? (counts[i].size <= 256 ? [...counts[i].keys()].sort((a, b) => a - b) : popular(counts[i]));
    const bits = tableBits(pal.length);
    const delay = Array.isArray(opts.delayCs) ? opts.delayCs[i] ?? 10 : opts.delayCs ?? 10;
    out.bytes([0x21, 0xf9, 4, 1 << 2]); out.u16(Math.max(0, Math.min(65535, Math.round(delay)))); out.bytes([0, 0]); // GCE: disposal 1, no transparency
    out.byte(0x2c); out.u16(0); out.u16(0); out.u16(width); out.u16(height);
    out.byte(global ? 0 : 0x80 | (bits - 1)); // local table flag and size
    if (!global) writeTable(out, pal, bits);
    const minCode = Math.max(2, bits);
    out.byte(minCode);
    lzw(indexPixels(px, pal), minCode, out);
    out.byte(0); // block terminator
  });
  out.byte(0x3b);
  return out.result();
}

/** RGB as 24-bit ints, alpha composited over white. */
function toRgb(d, n) {
  const px = new Uint32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    const a = d[j + 3];
    if (a === 255) px[i] = (d[j] << 16) | (d[j + 1] << 8) | d[j + 2];
    else {
      const w = 255 * (255 - a);
      px[i] = (((d[j] * a + w) / 255) << 16) | (((d[j + 1] * a + w) / 255) << 8) | ((d[j + 2] * a + w) / 255);
    }
  }
  return px;
}

/** Colour -> count (new colours past 65536 distinct are not counted: enough to pick a palette). */
function countColours(px) {
  const m = new Map();
  for (let i = 0; i < px.length; i++) {
    const c = px[i];
    const n = m.get(c);
    if (n === undefined) { if (m.size >= 65536) continue; m.set(c, 1); } else m.set(c, n + 1);
  }
  return m;
}

/**
 * 256 colours for a frame with more: its 131 most common exact colours (the flat
 * fills, kept exact) plus a 5x5x5 colour cube for the rest (anti-aliased edges),
 * so every pixel has a palette colour within 32 per channel.
 */
function popular(counts) {
  const pal = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 131).map((e) => e[0]);
  const have = new Set(pal);
  const lv = [0, 64, 128, 191, 255];
  for (const r of lv) for (const g of lv) for (const b of lv) { const c = (r << 16) | (g << 8) | b; if (!have.has(c)) pal.push(c); }
  return pal.slice(0, 256);
}

/** Palette index per pixel: exact when present, else the nearest colour (cached). */
function indexPixels(px, pal) {
  const idx = new Uint8Array(px.length);
  const map = new Map(pal.map((c, i) => [c, i]));
  for (let i = 0; i < px.length; i++) {
    const c = px[i];
    let k = map.get(c);
    if (k === undefined) {
      let best = Infinity;
      for (let j = 0; j < pal.length; j++) {
        const p = pal[j];
        const dr = ((p >> 16) & 255) - ((c >> 16) & 255);
        const dg = ((p >> 8) & 255) - ((c >> 8) & 255);
        const db = (p & 255) - (c & 255);
        const d = 2 * dr * dr + 4 * dg * dg + 3 * db * db;
        if (d < best) { best = d; k = j; }
      }
      map.set(c, k);
    }
    idx[i] = k;
  }
  return idx;
}

const tableBits = (n) => { let b = 1; while (1 << b < n) b++; return b; };

function writeTable(out, pal, bits) {
  for (let i = 0; i < 1 << bits; i++) {
    const c = pal[i] ?? 0;
    out.bytes([(c >> 16) & 255, (c >> 8) & 255, c & 255]);
  }
}

/** GIF LZW: codes LSB first, packed into sub-blocks of at most 255 bytes. */
function lzw(idx, minCode, out) {
  const clear = 1 << minCode;
  const eoi = clear + 1;
  let size = minCode + 1;
  let next = eoi + 1;
  let table = new Map();
  let acc = 0;
  let nacc = 0;
  let block = [];
  const flush = () => { out.byte(block.length); out.bytes(block); block = []; };
  const emit = (code) => {
    acc |= code << nacc;
    nacc += size;
    while (nacc >= 8) {
      block.push(acc & 255);
      if (block.length === 255) flush();
      acc >>>= 8;
      nacc -= 8;
    }
  };
  emit(clear);
  let cur = idx[0];
  for (let i = 1; i < idx.length; i++) {
    const k = idx[i];
    const key = (cur << 8) | k;
    const hit = table.get(key);
    if (hit !== undefined) { cur = hit; continue; }
    emit(cur);
    if (next === 4096) {
      emit(clear); // table full: start again
      table = new Map();
      next = eoi + 1;
      size = minCode + 1;
    } else {
      if (next >= 1 << size) size++;
      table.set(key, next++);
    }
    cur = k;
  }
  emit(cur);
  emit(eoi);
  if (nacc > 0) { block.push(acc & 255); if (block.length === 255) flush(); }
  if (block.length) flush();
}

/** Growable byte buffer. */
class ByteWriter {
  constructor() { this.buf = new Uint8Array(1 << 16); this.n = 0; }
  byte(v) {
    if (this.n === this.buf.length) { const b = new Uint8Array(this.n * 2); b.set(this.buf); this.buf = b; }
    this.buf[this.n++] = v & 255;
  }
  bytes(a) { for (const v of a) this.byte(v); }
  u16(v) { this.byte(v); this.byte(v >> 8); }
  str(s) { for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i)); }
  result() { return this.buf.slice(0, this.n); }
}
