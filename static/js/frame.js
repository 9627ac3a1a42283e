// One render per animation frame.
//
// Messages only update the store and fold what changed into a dirty record;
// the views read the store once per frame, so a burst of deltas costs one
// redraw, and each view redraws only what the dirty record names.  While
// busy (a workload, a fast clock), the DOM is redrawn at most every
// BUSY_GAP_MS: the eye cannot follow more, and each redraw costs a style and
// layout pass.  What the user does (select, switch zone, change mode) is never
// held back.

import { mergeDirty, newDirty } from "./store.js";
import { termsReady } from "./terms.js";

const BUSY_GAP_MS = 70;
const URGENT = ["full", "selection", "zoneChanged", "modeChanged", "themeChanged", "layout", "role", "tour"];

export class Frames {
  /** `views`: {name: view with render(d)}; `after(d, stateChanged)` runs the rest (controls, timeline, ...). */
  constructor(ctx, stats) {
    this.ctx = ctx;
    this.stats = stats;
    this.pending = newDirty();
    this.extra = {};
    this.raf = 0;
    this.lastRender = 0;
    this.holdTimer = 0;
    this.firstRendered = false;
    this.frame = this.frame.bind(this);
  }

  /** Views redraw what `flags` name on the next frame. */
  invalidate(flags = {}) {
    for (const [k, v] of Object.entries(flags)) this.extra[k] = this.extra[k] || v;
    this.schedule();
  }

  /** Fold a store dirty record in (deltas); `full` replaces it (snapshots). */
  merge(d, full = false) {
    if (full) this.pending = mergeDirty(newDirty(true), d);
    else mergeDirty(this.pending, d);
    this.schedule();
  }

  schedule() {
    if (!this.raf) this.raf = requestAnimationFrame(this.frame);
  }

  timed(name, fn) {
    const t0 = performance.now();
    fn();
    const dt = performance.now() - t0;
    const s = this.stats.views[name] ?? (this.stats.views[name] = { ms: 0, max: 0, n: 0 });
    s.ms += dt; s.n++; if (dt > s.max) s.max = dt;
  }

  frame(now) {
    this.raf = 0;
    const { ctx } = this;
    // A design whose words are not here yet (terms.js) is drawn once they are, never in another's.
    if (ctx.store.loaded && !termsReady(ctx.store, () => this.invalidate({ full: true }))) return;
    const extra = this.extra;
    if (ctx.ui.busy && now - this.lastRender < BUSY_GAP_MS && !this.pending.full && !URGENT.some((k) => extra[k])) {
      if (!this.holdTimer) {
        this.holdTimer = setTimeout(() => { this.holdTimer = 0; this.schedule(); }, BUSY_GAP_MS - (now - this.lastRender));
      }
      return;
    }
    this.lastRender = now;
    const d = this.pending;
    this.pending = newDirty();
    Object.assign(d, extra, { full: d.full || extra.full });
    this.extra = {};
    if (!ctx.store.loaded) return;
    const stateChanged = d.full || d.now || d.hinting || d.zones.size || d.host || d.anomalies || d.zoneChanged ||
      d.modeChanged || d.selection || d.layout || d.session || d.events || d.role || d.timeline || d.tour;
    const v = ctx.views;
    this.stats.frames++;
    if (stateChanged) {
      this.timed("zone", () => v.zone.render(d));
      this.timed("freearea", () => v.freeArea.render(d));
      this.timed("batch", () => v.batch.render(d));
    }
    this.timed("memmap", () => v.memmap.render(d));
    if (stateChanged) {
      this.timed("host", () => v.host.render(d));
      this.timed("events", () => v.events.render(d));
      this.timed("explain", () => v.explain.render(d));
      this.timed("inspector", () => v.inspector.render(d));
      this.timed("controls", () => ctx.controls.update());
      this.timed("timeline", () => ctx.timelineView.render());
      this.timed("tour", () => ctx.tour.render());
      if (d.session || d.role || d.full) ctx.present.render();
      ctx.afterFrame?.(d);
    } else if (d.themeChanged) ctx.timelineView.draw();
    if (!this.firstRendered) {
      this.firstRendered = true;
      performance.mark("hl:first-render");
      document.documentElement.dataset.ready = "true";
    }
  }
}
