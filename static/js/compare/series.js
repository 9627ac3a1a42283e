// The chart samples of a compare session (core/pair.py SAMPLE_FIELDS), per
// side, by history position: a snapshot brings the series, deltas add points.
// A point at a position already held replaces it and drops the ones after it
// (the history forked there, or an advance grew).  Pure; no DOM.

export const MAX_POINTS = 4096;

export class Series {
  constructor() {
    this.fields = [];
    this.index = {};
    this.sides = { left: [], right: [] };
  }

  load(samples) {
    this.fields = samples?.fields ?? this.fields;
    this.index = Object.fromEntries(this.fields.map((f, i) => [f, i]));
    this.sides = { left: (samples?.left ?? []).slice(), right: (samples?.right ?? []).slice() };
  }

  add(fresh) {
    for (const side of ["left", "right"]) {
      const pts = fresh?.[side];
      if (!pts?.length) continue;
      const s = this.sides[side];
      for (const p of pts) {
        while (s.length && s[s.length - 1][0] >= p[0]) s.pop();
        s.push(p);
      }
      if (s.length > MAX_POINTS) this.sides[side] = s.filter((_, i) => i % 2 === 0 || i === s.length - 1);
    }
  }

  get(p, field) {
    return p[this.index[field]];
  }

  /** The last point at or before `pos` (binary search), or null. */
  at(side, pos) {
    const s = this.sides[side];
    let lo = 0;
    let hi = s.length - 1;
    let best = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid][0] <= pos) { best = s[mid]; lo = mid + 1; } else hi = mid - 1;
    }
    return best;
  }

  /** [first position, last position] over both sides. */
  extent() {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of Object.values(this.sides)) {
      if (!s.length) continue;
      lo = Math.min(lo, s[0][0]);
      hi = Math.max(hi, s[s.length - 1][0]);
    }
    return lo <= hi ? [lo, hi] : [0, 1];
  }
}

/** What each chart plots from a point (null: nothing to plot there). */
export const CHARTS = [
  { id: "entries", title: "list entries read per reported block", value: (g) => (g("blocks") ? g("entries") / g("blocks") : null), fmt: (v) => v.toFixed(2) },
  { id: "holds", title: "zone-lock holds by the work", value: (g) => g("holds") },
  { id: "longest", title: "longest hold: entries read", value: (g) => g("longest_entries") },
  { id: "batches", title: "batches to the host", value: (g) => g("batches") },
  { id: "reported", title: "pages reported", value: (g) => g("pages_reported") },
  { id: "wasted", title: "reports wasted", value: (g) => g("wasted") },
  { id: "refaults", title: "refaults (pages)", value: (g) => g("refaults") },
  { id: "share", title: "free memory reported", value: (g) => { const f = g("on_lists") + g("batch_pages"); return f ? (100 * g("marked_pages")) / f : null; }, fmt: (v) => `${v.toFixed(1)}%` },
  // Free pages NR_FREE_PAGES does not count: a batch out (the watermarks do not see it), a drift for good.
  { id: "nrfree", title: "free pages NR_FREE_PAGES misses", value: (g) => g("on_lists") + g("batch_pages") - g("nr_free_pages"), gap: true },
];
