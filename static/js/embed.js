// Embed mode (?embed=1): minimal chrome for an iframe in a slide deck, with an
// optional autoplay of a step range: ?embed=1&autoplay=1&from=3&to=20&speed=2
// (steps per second; loop=0 plays once).  With a tour, from and to count the
// tour's own steps (its setup is applied before step 0); otherwise they are
// positions on the timeline.

import { $, num, setText } from "./util.js";

const HOLD_MS = 1500; // at the end of the range, before starting over

/** The embed options of a query string. */
export function parseEmbed(search) {
  const q = new URLSearchParams(search);
  const int = (k) => (/^\d+$/.test(q.get(k) ?? "") ? +q.get(k) : null);
  const speed = Number(q.get("speed") ?? 1);
  return {
    embed: q.get("embed") === "1",
    autoplay: q.get("autoplay") === "1",
    from: int("from"),
    to: int("to"),
    speed: speed > 0 && speed <= 50 ? speed : 1,
    loop: q.get("loop") !== "0",
  };
}

/** The timeline positions to play: a tour's steps from..to (its setup first), else the history's positions. */
export function playRange(opts, length, tour) {
  if (tour) {
    const from = tour.setup + Math.min(opts.from ?? 0, tour.steps);
    return { from, to: Math.max(from, tour.setup + Math.min(opts.to ?? tour.steps, tour.steps)) };
  }
  const from = Math.min(opts.from ?? 0, length);
  return { from, to: Math.max(from, Math.min(opts.to ?? length, length)) };
}

export class Autoplay {
  constructor(ctx, opts) {
    this.ctx = ctx;
    this.opts = opts;
    this.playing = false;
    this.timer = 0;
    $("#embed-play").addEventListener("click", () => this.toggle());
  }

  start() {
    const { ctx } = this;
    this.range = playRange(this.opts, ctx.timeline.length, ctx.tour.span());
    this.playing = true;
    this.render();
    this.goTo(this.range.from).then(() => this._schedule(1000 / this.opts.speed));
  }

  /**
   * Go to position `pos`: travel along the history, and past its end play the tour's steps (a tour session
   * starts with only its setup in the history, so "from 3" means playing three steps first).
   */
  async goTo(pos) {
    const { ctx } = this;
    if (pos <= ctx.timeline.length) { await ctx.timelineView.travel(pos); return; }
    if (ctx.timeline.cursor < ctx.timeline.length) await ctx.timelineView.travel(ctx.timeline.length);
    for (let guard = 0; ctx.timeline.cursor < pos && ctx.tour.active() && guard < 500; guard++) {
      const at = ctx.timeline.cursor;
      if (!(await ctx.tour.next())) return;
      for (let i = 0; i < 200 && ctx.timeline.cursor === at; i++) await new Promise((r) => setTimeout(r, 10));
    }
  }

  toggle() {
    if (!this.range) return this.start();
    this.playing = !this.playing;
    clearTimeout(this.timer);
    this.render();
    if (!this.playing) return null;
    // Played to the end: play again from the range's start.
    if (this.ctx.timeline.cursor >= this.range.to) {
      return this.goTo(this.range.from).then(() => this._schedule(1000 / this.opts.speed));
    }
    this._schedule(0);
    return null;
  }

  _schedule(ms) {
    clearTimeout(this.timer);
    if (this.playing) this.timer = setTimeout(() => this._tick(), ms);
  }

  async _tick() {
    const { ctx } = this;
    const { cursor, length } = ctx.timeline;
    const { from, to } = this.range;
    if (cursor < from || cursor >= to) {
      if (cursor >= to && !this.opts.loop) { this.playing = false; this.render(); return; }
      await this.goTo(from);
      this._schedule(cursor >= to ? 1000 / this.opts.speed : 0);
      return;
    }
    if (cursor < length) await ctx.timelineView.travel(cursor + 1);
    else if (ctx.tour.active()) await ctx.tour.next();
    else { this.playing = false; this.render(); return; } // nothing more to play
    // (the answer comes before the delta that moves the cursor: count the step instead of reading it)
    if (cursor + 1 >= to && !this.opts.loop) { this.playing = false; this.render(); return; }
    this._schedule(cursor + 1 >= to ? HOLD_MS : 1000 / this.opts.speed);
  }

  render() {
    const b = $("#embed-play");
    b.textContent = this.playing ? "❚❚ pause" : "▶ play";
    b.setAttribute("aria-pressed", String(this.playing));
  }
}

/** The embed caption: title and position (a tour's own step and count, which do not change as it plays). */
export function renderEmbedBar(ctx) {
  const s = ctx.session;
  setText($("#embed-title"), s?.title || s?.preset || "Hinting Lab");
  const span = ctx.tour.span();
  const pos = span ? Math.max(0, Math.min(span.steps, ctx.timeline.cursor - span.setup)) : 0;
  setText($("#embed-step"), span ? `tour step ${num(pos)} / ${num(span.steps)}`
    : `step ${num(ctx.timeline.cursor)} / ${num(ctx.timeline.length)}`);
  $("#embed-open").href = `/s/${ctx.sessionId}`;
}
