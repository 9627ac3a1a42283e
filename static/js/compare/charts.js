// Compare mode's charts: both designs on one axis, the seed solid, reporting
// dashed (never colour alone).  The axis runs over the history's steps, which
// is virtual time with every instant spread out: in stepping mode a whole
// hinting pass happens at one virtual instant, and the gap while a batch is
// out lasts steps, not milliseconds (the tick labels say the virtual time).
// Hover shows both sides' values; a cursor marks the step shown (time travel).
// One canvas per chart, drawn by hand (no library).

import { palette, sizeOf, watchSize } from "./measure.js";
import { CHARTS } from "./series.js";

const SIDE_DASH = { left: [], right: [5, 3] };

export class Charts {
  constructor(root, series, ctx) {
    this.root = root;
    this.series = series;
    this.ctx = ctx;
    this.hover = null; // position hovered
    this.cards = CHARTS.map((c) => {
      const card = document.createElement("div");
      card.className = "cmp-chart";
      card.dataset.chart = c.id;
      card.dataset.testid = `chart-${c.id}`;
      card.setAttribute("data-testid", `chart-${c.id}`);
      card.innerHTML = `<div class="ct">${c.title}</div><canvas aria-label="${c.title}: seed solid, reporting dashed"></canvas>` +
        `<div class="cv mono" aria-live="off"></div>`;
      root.appendChild(card);
      const canvas = card.querySelector("canvas");
      watchSize(canvas, () => this.ctx.invalidate({ compare: true, now: true }));
      canvas.addEventListener("mousemove", (e) => this._move(e, canvas));
      canvas.addEventListener("mouseleave", () => { this.hover = null; this.draw(); });
      return { c, card, canvas, value: card.querySelector(".cv") };
    });
    this.tip = document.createElement("div");
    this.tip.className = "cmp-tip mono";
    this.tip.dataset.testid = "chart-tip";
    this.tip.setAttribute("data-testid", "chart-tip");
    this.tip.hidden = true;
    root.appendChild(this.tip);
  }

  /**
   * Positions on show: from where the hinting work or the clock first moved (a scenario's setup of
   * allocations and frees is a flat line, not worth the width), or the session's start, to the newest.
   */
  range() {
    const s = this.series;
    const [lo, hi] = s.extent();
    let first = hi;
    for (const side of ["left", "right"]) {
      const p = s.sides[side].find((q) => s.get(q, "t_ms") > 0 || s.get(q, "holds") > 0);
      if (p) first = Math.min(first, p[0]);
    }
    const from = Math.max(lo, Math.min(first - 2, this.ctx.timeline.start ?? 0, this.ctx.timeline.cursor));
    return [from, Math.max(hi, from + 1)];
  }

  _x(pos, w) {
    const [lo, hi] = this._range ?? this.range();
    return 4 + ((pos - lo) / Math.max(1, hi - lo)) * (w - 8);
  }

  _move(e, canvas) {
    const r = canvas.getBoundingClientRect();
    const [lo, hi] = this._range ?? this.range();
    const pos = Math.round(lo + ((e.clientX - r.left - 4) / Math.max(1, r.width - 8)) * (hi - lo));
    this.hover = Math.max(lo, Math.min(hi, pos));
    this.hoverChart = canvas.parentElement.dataset.chart;
    this.draw();
    const card = canvas.parentElement;
    const box = this.root.getBoundingClientRect();
    this.tip.style.left = `${Math.min(box.width - 230, Math.max(0, e.clientX - box.left + 12))}px`;
    this.tip.style.top = `${card.offsetTop + card.offsetHeight - 6}px`;
  }

  /** Values at `pos` for one chart, both sides: {left, right, t} (null where nothing is plotted). */
  valuesAt(chart, pos) {
    const s = this.series;
    const out = { t: null };
    for (const side of ["left", "right"]) {
      const p = s.at(side, pos);
      out[side] = p ? chart.value((f) => s.get(p, f)) : null;
      if (p) {
        out.t = s.get(p, "t_ms");
        out[`${side}Point`] = p;
      }
    }
    return out;
  }

  draw() {
    const s = this.series;
    this._range = null;
    this._range = this.range(); // once per drawing: every point's x reads it
    const cursor = this.ctx.timeline.cursor;
    const { ink, ink3, band, anomaly } = palette();
    const dpr = window.devicePixelRatio || 1;
    for (const card of this.cards) {
      const { c, canvas } = card;
      const { w, h } = sizeOf(canvas);
      if (!w || !h) continue;
      if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
        canvas.width = Math.round(w * dpr);
        canvas.height = Math.round(h * dpr);
      }
      const g = canvas.getContext("2d");
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.clearRect(0, 0, w, h);
      // The range over both sides.
      let lo = Infinity;
      let hi = -Infinity;
      const pts = {};
      const [from] = this._range;
      for (const side of ["left", "right"]) {
        // The point before the range's start stands at its left edge.
        const all = s.sides[side];
        let i0 = all.findIndex((p) => p[0] >= from);
        if (i0 < 0) i0 = all.length;
        // At most ~two points a pixel column (the first and the last of each; a step line needs no more).
        const shown = all.slice(Math.max(0, i0 - 1));
        const keep = [];
        let col = -1;
        for (let i = 0; i < shown.length; i++) {
          const x = Math.floor(this._x(Math.max(shown[i][0], from), w));
          if (x !== col || i === shown.length - 1 || Math.floor(this._x(shown[i + 1][0], w)) !== x) keep.push(shown[i]);
          col = x;
        }
        pts[side] = keep.map((p) => [Math.max(p[0], from), c.value((f) => s.get(p, f)), p]);
        for (const [, v] of pts[side]) if (v !== null && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      }
      if (lo === Infinity) { lo = 0; hi = 1; }
      lo = Math.min(lo, 0);
      if (hi <= lo) hi = lo + 1;
      const y = (v) => h - 4 - ((v - lo) / (hi - lo)) * (h - 14);
      // Batch-out bands (the NR_FREE_PAGES chart): pale orange where a side has a batch out.
      if (c.gap) {
        for (const [side, top] of [["left", 0], ["right", h / 2]]) {
          const list = pts[side];
          g.fillStyle = band;
          for (let i = 0; i < list.length; i++) {
            if (s.get(list[i][2], "batch_pages") > 0) {
              const x0 = this._x(list[i][0], w);
              const x1 = i + 1 < list.length ? this._x(list[i + 1][0], w) : x0 + 3;
              g.fillRect(x0, top, Math.max(2, x1 - x0), h / 2);
            }
          }
        }
        g.strokeStyle = ink3;
        g.lineWidth = 1;
        g.setLineDash([1, 2]);
        g.beginPath();
        g.moveTo(0, y(0));
        g.lineTo(w, y(0));
        g.stroke();
      }
      // The two sides' lines.
      for (const side of ["left", "right"]) {
        g.strokeStyle = ink;
        g.lineWidth = side === "left" ? 1.8 : 1.6;
        g.setLineDash(SIDE_DASH[side]);
        g.beginPath();
        let started = false;
        let prevY = null;
        for (const [pos, v] of pts[side]) {
          if (v === null || !Number.isFinite(v)) { started = false; continue; }
          const x = this._x(pos, w);
          if (!started) { g.moveTo(x, y(v)); started = true; } else { g.lineTo(x, prevY); g.lineTo(x, y(v)); }
          prevY = y(v);
        }
        g.stroke();
      }
      g.setLineDash([]);
      // A drift (the gap is not the batch): a vermillion triangle where it starts.
      if (c.gap) {
        for (const side of ["left", "right"]) {
          let was = false;
          for (const [pos, v, p] of pts[side]) {
            const drift = (s.get(p, "drift") ?? 0) !== 0;
            if (drift && !was) {
              g.fillStyle = anomaly;
              const x = this._x(pos, w);
              const yy = y(v);
              g.beginPath();
              g.moveTo(x, yy - 9);
              g.lineTo(x - 5, yy - 1);
              g.lineTo(x + 5, yy - 1);
              g.closePath();
              g.fill();
            }
            was = drift;
          }
        }
      }
      // The step shown, and the one hovered.
      g.strokeStyle = ink;
      g.lineWidth = 1.5;
      const cx = this._x(cursor, w);
      g.beginPath();
      g.moveTo(cx, 0);
      g.lineTo(cx, h);
      g.stroke();
      if (this.hover !== null) {
        g.strokeStyle = ink3;
        g.setLineDash([2, 2]);
        const hx = this._x(this.hover, w);
        g.beginPath();
        g.moveTo(hx, 0);
        g.lineTo(hx, h);
        g.stroke();
        g.setLineDash([]);
      }
      // The values at the cursor, in words beside the title.
      const at = this.valuesAt(c, cursor);
      const fmt = (v) => (v === null || v === undefined ? "–" : c.fmt ? c.fmt(v) : Math.round(v).toLocaleString("en-US"));
      card.value.textContent = `seed ${fmt(at.left)} · reporting ${fmt(at.right)}`;
      card.card.dataset.left = at.left ?? "";
      card.card.dataset.right = at.right ?? "";
    }
    this._tip();
  }

  _tip() {
    if (this.hover === null) { this.tip.hidden = true; return; }
    const s = this.series;
    const rows = [];
    let t = null;
    for (const { c } of this.cards) {
      const v = this.valuesAt(c, this.hover);
      t = v.t ?? t;
      const fmt = (x) => (x === null ? "–" : c.fmt ? c.fmt(x) : Math.round(x).toLocaleString("en-US"));
      if (c.id === this.hoverChart || c.gap) {
        let extra = "";
        if (c.gap) {
          const lp = v.leftPoint;
          const rp = v.rightPoint;
          const d = (p) => (p ? `NR_FREE_PAGES ${s.get(p, "nr_free_pages")}, on the lists ${s.get(p, "on_lists")}, ` +
            `batch ${s.get(p, "batch_pages")}${s.get(p, "drift") ? `, drift ${s.get(p, "drift")} ▲` : ""}` : "–");
          extra = `<div class="sub">seed: ${d(lp)}</div><div class="sub">reporting: ${d(rp)}</div>`;
        }
        rows.push(`<div><b>${c.title}</b>: seed ${fmt(v.left)} · reporting ${fmt(v.right)}</div>${extra}`);
      }
    }
    this.tip.innerHTML = `<div class="h">step ${this.hover} · t ${t ?? "–"} ms</div>${rows.join("")}`;
    this.tip.hidden = false;
  }
}
