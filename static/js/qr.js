// QR Code model 2 (ISO/IEC 18004) from the spec: byte mode, versions 1-40.  For
// a session's short link on the projector, offline; no DOM, runs in node.
// Data codewords -> Reed-Solomon blocks (GF(256), 0x11D) -> interleaving ->
// zigzag placement -> lowest-penalty mask (N1-N4) -> format/version info (BCH).

const { max, floor, abs } = Math;
const ECL = { L: 0, M: 1, Q: 2, H: 3 };
const FORMAT_BITS = [1, 0, 3, 2]; // L M Q H as written in the format information
// Per version 1..40 (index 0 unused): EC codewords per block, and number of blocks.
const ECC_PER_BLOCK = [
  [-1,7,10,15,20,26,18,20,24,30,18,20,24,26,30,22,24,28,30,28,28,28,28,30,30,26,28,30,30,30,30,30,30,30,30,30,30,30,30,30,30],
  [-1,10,16,26,18,24,16,18,22,22,26,30,22,22,24,24,28,28,26,26,26,26,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28],
  [-1,13,22,18,26,18,24,18,22,20,24,28,26,24,20,30,24,28,28,26,30,28,30,30,30,30,28,30,30,30,30,30,30,30,30,30,30,30,30,30,30],
  [-1,17,28,22,16,22,28,26,26,24,28,24,28,22,24,24,30,28,28,26,28,30,24,30,30,30,30,30,30,30,30,30,30,30,30,30,30,30,30,30,30],
];
const NUM_BLOCKS = [
  [-1,1,1,1,1,1,2,2,2,2,4,4,4,4,4,6,6,6,6,7,8,8,9,9,10,12,12,12,13,14,15,16,17,18,19,19,20,21,22,24,25],
  [-1,1,1,1,2,2,4,4,4,5,5,5,8,9,9,10,10,11,13,14,16,17,17,18,20,21,23,25,26,28,29,31,33,35,37,38,40,43,45,47,49],
  [-1,1,1,2,2,4,4,6,6,8,8,8,10,12,16,12,17,16,18,21,20,23,23,25,27,29,34,34,35,38,40,43,45,48,51,53,56,59,62,65,68],
  [-1,1,1,2,4,4,4,5,6,8,8,11,11,16,16,18,16,19,21,25,25,25,34,30,32,35,37,40,42,45,48,51,54,57,60,63,66,70,74,77,81],
];

/** Modules left for data and EC codewords by the function patterns. */
function rawModules(ver) {
  let n = (16 * ver + 128) * ver + 64;
  if (ver >= 2) {
    const a = floor(ver / 7) + 2;
    n -= (25 * a - 10) * a - 55;
    if (ver >= 7) n -= 36;
  }
  return n;
}
const dataCodewords = (ver, e) => floor(rawModules(ver) / 8) - ECC_PER_BLOCK[e][ver] * NUM_BLOCKS[e][ver];

function alignmentPositions(ver) {
  if (ver === 1) return [];
  const n = floor(ver / 7) + 2;
  const step = floor((ver * 8 + n * 3 + 5) / (n * 4 - 4)) * 2;
  const out = [6];
  for (let pos = ver * 4 + 10; out.length < n; pos -= step) out.splice(1, 0, pos);
  return out;
}

function gfMul(x, y) {
  let z = 0;
  for (let i = 7; i >= 0; i--) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d);
    z ^= ((y >>> i) & 1) * x;
  }
  return z & 0xff;
}
function rsDivisor(degree) {
  const res = new Uint8Array(degree);
  res[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      res[j] = gfMul(res[j], root);
      if (j + 1 < degree) res[j] ^= res[j + 1];
    }
    root = gfMul(root, 2);
  }
  return res;
}
function rsRemainder(data, div) {
  const res = new Uint8Array(div.length);
  for (const b of data) {
    const f = b ^ res[0];
    res.copyWithin(0, 1);
    res[res.length - 1] = 0;
    for (let i = 0; i < div.length; i++) res[i] ^= gfMul(div[i], f);
  }
  return res;
}

/** Split data into blocks, add EC codewords, interleave (short blocks first, as the spec orders them). */
function addEcAndInterleave(data, ver, e) {
  const nb = NUM_BLOCKS[e][ver];
  const ecLen = ECC_PER_BLOCK[e][ver];
  const raw = floor(rawModules(ver) / 8);
  const numShort = nb - (raw % nb);
  const shortLen = floor(raw / nb);
  const div = rsDivisor(ecLen);
  const blocks = [];
  for (let i = 0, k = 0; i < nb; i++) {
    const dat = data.slice(k, k + shortLen - ecLen + (i < numShort ? 0 : 1));
    k += dat.length;
    const ec = rsRemainder(dat, div);
    const blk = [...dat];
    if (i < numShort) blk.push(0); // placeholder keeps columns aligned; skipped below
    blocks.push(blk.concat([...ec]));
  }
  const out = [];
  for (let i = 0; i < blocks[0].length; i++) {
    blocks.forEach((b, j) => {
      if (i !== shortLen - ecLen || j >= numShort) out.push(b[i]);
    });
  }
  return out;
}

const MASKS = [
  (x, y) => (x + y) % 2 === 0,
  (x, y) => y % 2 === 0,
  (x) => x % 3 === 0,
  (x, y) => (x + y) % 3 === 0,
  (x, y) => (floor(x / 3) + floor(y / 2)) % 2 === 0,
  (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
  (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
];

/** Data codewords for byte mode: mode, count, bytes, terminator, padding. */
function dataBits(bytes, ver, e) {
  const bits = [];
  const put = (v, n) => { for (let i = n - 1; i >= 0; i--) bits.push((v >>> i) & 1); };
  put(4, 4);
  put(bytes.length, ver <= 9 ? 8 : 16);
  for (const b of bytes) put(b, 8);
  const cap = dataCodewords(ver, e) * 8;
  put(0, Math.min(4, cap - bits.length));
  put(0, (8 - (bits.length % 8)) % 8);
  for (let pad = 0xec; bits.length < cap; pad ^= 0xec ^ 0x11) put(pad, 8);
  const out = [];
  for (let i = 0; i < bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8).join(""), 2));
  return out;
}

/**
 * Encode text as a QR Code symbol (byte mode, UTF-8).
 * Why: a session's short link on the projector, scannable from the back of the
 * room, with no network or library.
 * @param {string} text
 * @param {object} [opts]
 * @param {"L"|"M"|"Q"|"H"} [opts.ecc]  error correction level (default "M"); never raised silently
 * @param {number} [opts.version]  force a version 1-40 (default: the smallest that fits)
 * @param {number} [opts.mask]     force a mask 0-7 (default: the lowest penalty, N1-N4)
 * @returns {boolean[][]} rows of modules, true = dark; no quiet zone.
 *   The chosen version and mask are attached as non-enumerable `version` and `mask`.
 */
export function qrMatrix(text, opts = {}) {
  const e = ECL[opts.ecc ?? "M"];
  if (e === undefined) throw new Error(`qrMatrix: ecc must be L, M, Q or H, got ${opts.ecc}`);
  const bytes = [...new TextEncoder().encode(String(text))];
  const fits = (v) => 4 + (v <= 9 ? 8 : 16) + bytes.length * 8 <= dataCodewords(v, e) * 8;
  let ver = opts.version;
  if (ver !== undefined) {
    if (!Number.isInteger(ver) || ver < 1 || ver > 40) throw new Error(`qrMatrix: version must be 1-40, got ${ver}`);
    if (!fits(ver)) throw new Error(`qrMatrix: ${bytes.length} bytes do not fit version ${ver}-${opts.ecc ?? "M"}`);
  } else {
    ver = 1;
    while (ver <= 40 && !fits(ver)) ver++;
    if (ver > 40) throw new Error(`qrMatrix: ${bytes.length} bytes are too long for a QR code at level ${opts.ecc ?? "M"}`);
  }
  if (opts.mask !== undefined && !(Number.isInteger(opts.mask) && opts.mask >= 0 && opts.mask <= 7)) {
    throw new Error(`qrMatrix: mask must be 0-7, got ${opts.mask}`);
  }
  const size = ver * 4 + 17;
  const grid = () => Array.from({ length: size }, () => new Array(size).fill(false));
  const m = grid();
  const fn = grid(); // function modules: not data, never masked
  const set = (x, y, dark) => { m[y][x] = dark; fn[y][x] = true; };

  // Function patterns: timing, finders (+ separators), alignment, format/version areas.
  for (let i = 0; i < size; i++) { set(6, i, i % 2 === 0); set(i, 6, i % 2 === 0); }
  for (const [cx, cy] of [[3, 3], [size - 4, 3], [3, size - 4]]) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const d = max(abs(dx), abs(dy));
        if (cx + dx >= 0 && cx + dx < size && cy + dy >= 0 && cy + dy < size) set(cx + dx, cy + dy, d !== 2 && d !== 4);
      }
    }
  }
  const al = alignmentPositions(ver);
  const last = al.length - 1;
  for (let i = 0; i <= last; i++) {
    for (let j = 0; j <= last; j++) {
      if ((i === 0 && (j === 0 || j === last)) || (i === last && j === 0)) continue; // the finders' corners
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) set(al[i] + dx, al[j] + dy, max(abs(dx), abs(dy)) !== 1);
    }
  }
  // Reserve the format and version areas: light while the masks are evaluated, written last.
  drawFormat(m, fn, e, 0, size, false);
  drawVersion(m, fn, ver, size, false);

  // Codewords, zigzag from the bottom right, two columns at a time, skipping the vertical timing column.
  const cw = addEcAndInterleave(dataBits(bytes, ver, e), ver, e);
  let i = 0;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    for (let v = 0; v < size; v++) {
      for (let j = 0; j < 2; j++) {
        const x = right - j;
        const y = ((right + 1) & 2) === 0 ? size - 1 - v : v; // upwards in every other column pair
        if (!fn[y][x] && i < cw.length * 8) {
          m[y][x] = ((cw[i >>> 3] >>> (7 - (i & 7))) & 1) === 1;
          i++;
        }
      }
    }
  }

  const apply = (k) => {
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (!fn[y][x] && MASKS[k](x, y)) m[y][x] = !m[y][x];
  };
  // Evaluated before format and version information are written, their areas light
  // (ISO/IEC 18004:2015 7.8; as segno does), so the choice does not depend on them.
  let mask = opts.mask;
  if (mask === undefined) {
    let best = Infinity;
    for (let k = 0; k < 8; k++) {
      apply(k);
      const p = penalty(m);
      if (p < best) { best = p; mask = k; }
      apply(k); // masks are involutions
    }
  }
  apply(mask);
  drawFormat(m, fn, e, mask, size);
  drawVersion(m, fn, ver, size);
  Object.defineProperty(m, "version", { value: ver });
  Object.defineProperty(m, "mask", { value: mask });
  return m;
}

/** 15-bit format information (EC level + mask, BCH(15,5), XOR 0x5412), both copies, and the dark module. */
function drawFormat(m, fn, e, mask, size, on = true) {
  const data = (FORMAT_BITS[e] << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  const bits = ((data << 10) | rem) ^ 0x5412;
  const b = (i) => on && ((bits >>> i) & 1) === 1;
  const set = (x, y, d) => { m[y][x] = d; fn[y][x] = true; };
  for (let i = 0; i <= 5; i++) set(8, i, b(i));
  set(8, 7, b(6));
  set(8, 8, b(7));
  set(7, 8, b(8));
  for (let i = 9; i < 15; i++) set(14 - i, 8, b(i));
  for (let i = 0; i < 8; i++) set(size - 1 - i, 8, b(i));
  for (let i = 8; i < 15; i++) set(8, size - 15 + i, b(i));
  set(8, size - 8, on);
}

/** 18-bit version information (BCH(18,6)) for versions 7 and up, in both corners. */
function drawVersion(m, fn, ver, size, on = true) {
  if (ver < 7) return;
  let rem = ver;
  for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
  const bits = (ver << 12) | rem;
  for (let i = 0; i < 18; i++) {
    const d = on && ((bits >>> i) & 1) === 1;
    const a = size - 11 + (i % 3);
    const b = floor(i / 3);
    m[b][a] = d; fn[b][a] = true;
    m[a][b] = d; fn[a][b] = true;
  }
}

/**
 * Penalty score (spec 7.8.3): N1 runs, N2 2x2 blocks, N3 finder-like 1:1:3:1:1 with 4 light modules, N4 balance.
 * Exported so tests can check that the chosen mask scores lowest.
 * @param {boolean[][]} m
 * @returns {number}
 */
export function penalty(m) {
  const size = m.length;
  let score = 0;
  const line = (get) => {
    let s = 0;
    let run = 0;
    for (let i = 0; i <= size; i++) {
      if (i < size && i > 0 && get(i) === get(i - 1)) run++;
      else { if (run >= 5) s += run - 2; run = 1; } // N1: 3 + (run - 5)
    }
    // N3: dark light dark dark dark light dark with 4 light modules before or after it
    // (outside the symbol is the light quiet zone); 40 per occurrence
    const at = (i) => i >= 0 && i < size && get(i);
    const light = (a) => !at(a) && !at(a + 1) && !at(a + 2) && !at(a + 3);
    for (let i = 0; i + 7 <= size; i++) {
      if (at(i) && !at(i + 1) && at(i + 2) && at(i + 3) && at(i + 4) && !at(i + 5) && at(i + 6) && (light(i - 4) || light(i + 7))) s += 40;
    }
    return s;
  };
  for (let y = 0; y < size; y++) score += line((x) => m[y][x]);
  for (let x = 0; x < size; x++) score += line((y) => m[y][x]);
  let dark = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (m[y][x]) dark++;
      if (x + 1 < size && y + 1 < size) {
        const c = m[y][x];
        if (c === m[y][x + 1] && c === m[y + 1][x] && c === m[y + 1][x + 1]) score += 3;
      }
    }
  }
  // N4: 10 points per full 5 % that the dark proportion is away from 50 %
  const total = size * size;
  return score + 10 * floor(abs(dark * 20 - total * 10) / total);
}

/**
 * The QR code as a standalone SVG: one path of dark modules (runs merged), white quiet zone.
 * Why: crisp at any projector resolution, tiny, inlined in the page or saved.
 * @param {string} text
 * @param {object} [opts]
 * @param {"L"|"M"|"Q"|"H"} [opts.ecc]  default "M"
 * @param {number} [opts.scale]   pixels per module (default 8)
 * @param {number} [opts.margin]  quiet zone in modules (default 4, as the spec asks)
 * @param {string} [opts.dark]    colour of dark modules (default "#000000")
 * @param {string} [opts.light]   background (default "#FFFFFF")
 * @returns {string}
 */
export function qrSvg(text, opts = {}) {
  const m = qrMatrix(text, opts);
  const scale = opts.scale ?? 8;
  const margin = opts.margin ?? 4;
  const n = m.length + 2 * margin;
  let d = "";
  m.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) {
      if (!row[x]) continue;
      let e = x;
      while (e < row.length && row[e]) e++;
      d += `M${x + margin} ${y + margin}h${e - x}v1h${x - e}z`;
      x = e;
    }
  });
  // eslint-disable-next-line no-control-regex
  const esc = (s) => String(s).replace(/[\x00-\x08\x0B\x0C\x0E-\x1F]/g, "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${n * scale}" height="${n * scale}" viewBox="0 0 ${n} ${n}" shape-rendering="crispEdges">` +
    `<title>${esc(text)}</title><rect width="${n}" height="${n}" fill="${esc(opts.light ?? "#FFFFFF")}"/>` +
    `<path d="${d}" fill="${esc(opts.dark ?? "#000000")}"/></svg>`;
}
