// Time travel: the session's steps as one strip (a canvas, so 10,000 steps
// cost the same as 10), with back / forward / jump, scrubbing, undo and the
// kept branches.  The server keeps the checkpoints; this page only says where
// to go, at most SCRUB_HZ times a second and never with two moves in flight.

import { wholeNumber } from "./controls.js";
import { $, num, setAttr, setProp, setText } from "./util.js";

export const SCRUB_HZ = 20;
const PAD = 8;

/** Position (0..length) under x on a strip `width` px wide. */
export function posAt(x, width, length) {
  const w = Math.max(1, width - 2 * PAD);
  return Math.max(0, Math.min(length, Math.round(((x - PAD) / w) * length)));
}

/** x of position `pos` on a strip `width` px wide. */
export function xOf(pos, width, length) {
  return PAD + (length ? pos / length : 0) * Math.max(1, width - 2 * PAD);
}

/** One scenario step in a few words. */
export function describeStep(s) {
  if (!s) return "";
  const as = s.as ? ` as ${s.as}` : "";
  switch (s.do) {
    case "alloc": return `alloc ${s.zone ?? ""} o${s.order} ${s.migratetype ?? ""}${as}`.replace(/\s+/g, " ");
    case "free": return `free ${s.ref ?? s.pfn}${s.order !== undefined ? ` o${s.order}` : ""}`;
    case "move_pageblock": return `move pageblock of ${s.pfn} to ${s.migratetype}`;
    case "hinting_start": return "hinting on";
    case "hinting_stop": return "hinting off";
    case "advance": return `advance ${s.ms} ms`;
    case "step": return "step the work";
    case "stepping": return `stepping ${s.on ? "on" : "off"}`;
    default: return String(s.do ?? "?");
  }
}

/**
 * Sends the newest wanted position, at most `hz` times a second and one at a
 * time: a scrub of thousands of positions costs a few moves, and the last one
 * is always sent.  `send(pos)` returns a promise; `now` and timers are
 * injectable for tests.
 */
export class Throttle {
  constructor(send, hz = SCRUB_HZ, clock = { now: () => performance.now(), later: (f, t) => setTimeout(f, t) }) {
    this.sendFn = send;
    this.gap = 1000 / hz;
    this.clock = clock;
    this.want = null;
    this.last = -Infinity;
    this.inFlight = false;
    this.timer = false;
    this.sent = 0;
  }

  push(pos) {
    this.want = pos;
    this._pump();
  }

  _pump() {
    if (this.want === null || this.inFlight || this.timer) return;
    const wait = this.last + this.gap - this.clock.now();
    if (wait > 0) {
      this.timer = true;
      this.clock.later(() => { this.timer = false; this._pump(); }, wait);
      return;
    }
    const pos = this.want;
    this.want = null;
    this.inFlight = true;
    this.last = this.clock.now();
    this.sent++;
    Promise.resolve(this.sendFn(pos)).finally(() => { this.inFlight = false; this._pump(); });
  }
}

export class TimelineView {
  constructor(ctx) {
    this.ctx = ctx;
    this.el = $("#timeline");
    this.canvas = $("#tl-canvas");
    this.size = { w: 0, h: 0 };
    this.ghost = null; // the position under a scrub, drawn before the server answers
    this.sig = "";
    this.throttle = new Throttle((pos) => this.travel(pos, true));
    new ResizeObserver((entries) => {
      const r = entries[entries.length - 1].contentRect;
      this.size = { w: r.width, h: r.height };
      this.sig = "";
      ctx.invalidate({ timeline: true });
    }).observe(this.canvas);
    const on = (sel, ev, fn) => $(sel).addEventListener(ev, fn);
    on("#tl-start", "click", () => this.travel(0));
    on("#tl-back", "click", () => this.by(-1));
    on("#tl-fwd", "click", () => this.forward());
    on("#tl-end", "click", () => this.travel(this.tl().length));
    on("#tl-undo", "click", () => this.undo());
    on("#tl-form", "submit", (e) => {
      e.preventDefault();
      const ok = wholeNumber($("#tl-step").value, "the step", this.tl().length);
      if (ok.error) this.ctx.controls.error("timeline", { message: `${ok.error} (steps go from 0 to ${num(this.tl().length)})` });
      else this.travel(ok.value);
    });
    on("#branch-switch", "click", () => this.branch("switch"));
    on("#branch-discard", "click", () => this.branch("discard"));
    const c = this.canvas;
    c.addEventListener("pointerdown", (e) => {
      if (!this.canAct()) return;
      c.setPointerCapture(e.pointerId);
      this.scrubbing = true;
      this._scrubTo(e);
    });
    c.addEventListener("pointermove", (e) => {
      if (this.scrubbing) this._scrubTo(e);
      else this._hover(e);
    });
    const end = () => { this.scrubbing = false; };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    c.addEventListener("keydown", (e) => {
      const k = { ArrowLeft: -1, ArrowRight: 1, PageDown: -10, PageUp: 10 }[e.key];
      if (k) { e.preventDefault(); e.stopPropagation(); this.by(e.shiftKey ? k * 10 : k); }
      else if (e.key === "Home") { e.preventDefault(); this.travel(0); }
      else if (e.key === "End") { e.preventDefault(); this.travel(this.tl().length); }
    });
  }

  tl() {
    return this.ctx.timeline;
  }

  /** Positions the strip spans: the history, or a whole tour while it is shorter. */
  scale() {
    const t = this.ctx.tour?.span();
    return Math.max(this.tl().length, t ? t.setup + t.steps : 0);
  }

  _posAt(e) {
    const r = this.canvas.getBoundingClientRect();
    return Math.min(this.tl().length, posAt(e.clientX - r.left, r.width, this.scale()));
  }

  canAct() {
    return this.ctx.ui.role === "controller" && this.ctx.ui.status === "live";
  }

  _scrubTo(e) {
    const pos = this._posAt(e);
    if (pos === this.ghost) return;
    this.ghost = pos;
    this.draw(true);
    this.throttle.push(pos);
  }

  _hover(e) {
    const pos = this._posAt(e);
    const step = pos > 0 ? this.ctx.hist.steps[pos - 1] : null;
    const tour = this.ctx.tour?.label(pos);
    this.canvas.title = `step ${num(pos)}${step ? `: after ${describeStep(step)}` : pos ? "" : ": the start"}` +
      `${tour ? ` · ${tour}` : ""}${this.canAct() ? " · click or drag to go there" : ""}`;
  }

  /** Go to `pos` (clamped).  Errors go next to the timeline. */
  async travel(pos, scrub = false) {
    const { length, cursor } = this.tl();
    const to = Math.max(0, Math.min(length, Math.round(pos)));
    if (Number.isNaN(to)) return null;
    if (to === cursor && !scrub) return null;
    const res = await this.ctx.controls.send({ type: "travel", to }, "timeline");
    if (!scrub || !this.scrubbing) { this.ghost = null; this.ctx.invalidate({ timeline: true }); }
    return res;
  }

  by(n) {
    if (n > 0 && this.tl().cursor >= this.tl().length) return this.forward();
    return this.travel(this.tl().cursor + n);
  }

  /** One step forward: along the history, or, at its end in a tour, the tour's next step. */
  forward() {
    const { cursor, length } = this.tl();
    if (this.ctx.tour?.active()) return this.ctx.tour.next();
    if (cursor >= length) {
      this.ctx.controls.error("timeline", { message: "this is the newest step: act to add one" });
      return null;
    }
    return this.travel(cursor + 1);
  }

  undo() {
    if (this.tl().cursor <= (this.tl().start ?? 0)) {
      this.ctx.controls.error("timeline", { message: this.tl().start
        ? "nothing to undo: this is where the session started (undo never takes back its preset's own steps)"
        : "nothing to undo: no step before this position" });
      return null;
    }
    return this.ctx.controls.send({ type: "undo" }, "timeline");
  }

  branch(action) {
    const id = +$("#branch-pick").value;
    if (!id) return null;
    return this.ctx.controls.send({ type: "branch", action, branch: id }, "timeline");
  }

  render() {
    const { cursor, length, branches } = this.tl();
    const ro = !this.canAct();
    setAttr(this.el, "data-cursor", cursor);
    setAttr(this.el, "data-length", length);
    setAttr(this.el, "data-branches", branches.length);
    setProp(this.el, "hidden", false);
    setText($("#tl-length"), num(length));
    const input = $("#tl-step");
    if (document.activeElement !== input) setProp(input, "value", String(cursor));
    setAttr(input, "max", length);
    const past = cursor < length;
    setProp($("#tl-past"), "hidden", !past);
    if (past) setText($("#tl-past"), `past · ${num(length - cursor)} later · acting forks`);
    const start = this.tl().start ?? 0;
    for (const [id, off] of [["#tl-start", !cursor], ["#tl-back", !cursor], ["#tl-end", !past], ["#tl-undo", cursor <= start]]) {
      setProp($(id), "disabled", ro || off);
    }
    setProp($("#tl-fwd"), "disabled", ro || (!past && !this.ctx.tour?.active()));
    setProp(input, "disabled", ro);
    setAttr(this.canvas, "aria-valuenow", cursor);
    setAttr(this.canvas, "aria-valuemax", length);
    setAttr(this.canvas, "aria-valuetext", `step ${cursor} of ${length}`);
    setAttr(this.canvas, "aria-disabled", ro);
    const bw = $("#tl-branches");
    setProp(bw, "hidden", !branches.length);
    const bsig = JSON.stringify(branches);
    if (bsig !== this.bsig) {
      this.bsig = bsig;
      const sel = $("#branch-pick");
      const cur = sel.value;
      sel.innerHTML = branches.map((b) =>
        `<option value="${b.id}">branch ${b.id}: ${num(b.length)} step${b.length === 1 ? "" : "s"} after step ${num(b.fork_at)}</option>`,
      ).join("");
      if (branches.some((b) => String(b.id) === cur)) sel.value = cur;
    }
    for (const id of ["#branch-pick", "#branch-switch", "#branch-discard"]) setProp($(id), "disabled", ro);
    this.draw();
  }

  draw(force = false) {
    const { cursor, length, branches } = this.tl();
    const { w, h } = this.size;
    const tour = this.ctx.tour?.span();
    const span = this.scale();
    const theme = document.documentElement.dataset.theme + document.documentElement.dataset.mode;
    const sig = JSON.stringify([cursor, length, branches, w, h, this.ghost, tour, theme]);
    if (!force && sig === this.sig) return;
    this.sig = sig;
    if (!w || !h) return;
    const dpr = window.devicePixelRatio || 1;
    const c = this.canvas;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    if (this.colourKey !== theme) {
      // Read once per theme: a workload redraws the strip every frame.
      const cs = getComputedStyle(document.documentElement);
      this.colourKey = theme;
      this.colours = ["--ink", "--ink-3", "--line-2"].map((n) => cs.getPropertyValue(n).trim());
    }
    const [ink, ink3, line] = this.colours;
    const mid = Math.round(h / 2);
    const x = (p) => xOf(p, w, span);
    // The history: solid up to the cursor, a thinner kept future after it; a
    // tour's steps not played yet are dotted.
    g.fillStyle = line;
    g.fillRect(PAD, mid - 1, x(length) - PAD, 3);
    if (span > length) {
      g.fillStyle = ink3;
      for (let px = x(length) + 3; px < x(span); px += 6) g.fillRect(px, mid - 1, 2, 3);
    }
    g.fillStyle = ink;
    g.fillRect(PAD, mid - 2, x(cursor) - PAD, 5);
    if (tour) {
      // The setup (applied at once): a grey hatch.  The narrated steps: a tick each.
      g.fillStyle = ink3;
      for (let px = PAD; px < x(tour.setup); px += 4) g.fillRect(px, mid - 6, 1.5, 4);
      g.fillStyle = ink;
      for (let i = 0; i <= tour.steps; i++) g.fillRect(Math.round(x(tour.setup + i)) - 1, mid + 4, 2, 5);
    } else if (span && (w - 2 * PAD) / span >= 5) {
      g.fillStyle = ink3;
      for (let p = 1; p < span; p++) g.fillRect(Math.round(x(p)), mid + 4, 1, 4);
    }
    // Forks: a hook where a kept branch leaves the history.
    g.strokeStyle = ink;
    g.lineWidth = 1.5;
    for (const b of branches) {
      const px = x(Math.min(b.fork_at, length));
      g.beginPath();
      g.moveTo(px, mid);
      g.lineTo(px + 6, mid - 8);
      g.lineTo(px + 14, mid - 8);
      g.stroke();
    }
    // The cursor: a bar taller than the track, with a knob.
    const cx = x(cursor);
    g.fillStyle = ink;
    g.fillRect(cx - 1.5, 1, 3, h - 2);
    g.beginPath();
    g.arc(cx, mid, 5.5, 0, Math.PI * 2);
    g.fill();
    if (this.ghost !== null && this.ghost !== cursor) {
      g.setLineDash([3, 3]);
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(x(this.ghost), 1);
      g.lineTo(x(this.ghost), h - 1);
      g.stroke();
      g.setLineDash([]);
    }
  }
}
