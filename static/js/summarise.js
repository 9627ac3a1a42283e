// Which entries of a long free list stay visible.
//
// A cell has room for `budget` chips (a block or an "… N more …" chip).  The
// entries that matter for hinting must never be hidden: the head (where
// allocations take from), the tail (where hinted blocks collect), the two
// entries around the boundary (the next block get_unhinted_page pulls is the
// one just before it) and anything the user is looking at (`focus`).  The
// rest is filled in greedily from those anchors outwards and whatever does not
// fit collapses into counted runs.

/**
 * @param {number} n          list length
 * @param {object} opts
 * @param {number} opts.budget     room, in block widths; >= 3
 * @param {number} [opts.elidedCost] width of an "… N more …" chip, in block widths (default 1)
 * @param {number} [opts.boundary] index the boundary marker stands before
 *                                 (n: the marker is at the end, it points at the
 *                                 list head); -1 or undefined: no boundary
 * @param {Iterable<number>} [opts.focus] indexes that must stay visible
 * @returns {Array<{kind:'block', index:number} | {kind:'elided', start:number, count:number}>}
 */
export function summarise(n, opts = {}) {
  const budget = Math.max(3, opts.budget ?? 12);
  const ec = opts.elidedCost ?? 1;
  const out = [];
  if (n <= budget) {
    for (let i = 0; i < n; i++) out.push({ kind: "block", index: i });
    return out;
  }
  const b = opts.boundary ?? -1;
  const keep = new Set();
  const add = (i) => { if (i >= 0 && i < n) keep.add(i); };
  // Anchors: always shown, even if they overflow the budget.
  add(0);
  add(n - 1);
  if (b >= 0) { add(b); add(b - 1); }
  for (const i of opts.focus ?? []) add(i);

  // Greedy fill outwards from the anchors, in rounds so that head, tail and
  // boundary grow evenly.
  for (let r = 1; r < n; r++) {
    const cands = [r, n - 1 - r];
    if (b >= 0) { cands.push(b + r); cands.push(b - 1 - r); }
    for (const c of cands) {
      if (c < 0 || c >= n || keep.has(c)) continue;
      keep.add(c);
      if (cost(keep, n, ec) > budget) { keep.delete(c); return build(keep, n); }
    }
  }
  return build(keep, n);
}

/** Width (in blocks) needed to show `keep` and collapse the rest (a gap of one shows its block). */
function cost(keep, n, ec) {
  const idx = [...keep].sort((a, b) => a - b);
  let w = idx.length;
  let prev = -1;
  const gap = (g) => (g === 1 ? 1 : g > 1 ? ec : 0);
  for (const i of idx) {
    w += gap(i - prev - 1);
    prev = i;
  }
  return w + gap(n - 1 - prev);
}

function build(keep, n) {
  const idx = [...keep].sort((a, b) => a - b);
  const out = [];
  let prev = -1;
  const gap = (from, to) => { // [from, to)
    const count = to - from;
    if (count === 1) out.push({ kind: "block", index: from });
    else if (count > 1) out.push({ kind: "elided", start: from, count });
  };
  for (const i of idx) {
    gap(prev + 1, i);
    out.push({ kind: "block", index: i });
    prev = i;
  }
  gap(prev + 1, n);
  return out;
}

/** How many chips of `chipPx` (plus `gapPx`) fit in `widthPx`, leaving `reservePx` for the marker. */
export function budgetFor(widthPx, chipPx, gapPx = 4, reservePx = 16) {
  return Math.max(3, (widthPx - reservePx + gapPx) / (chipPx + gapPx));
}
