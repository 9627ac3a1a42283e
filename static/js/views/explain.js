// One place that explains the current step, as Python Tutor does: what just
// happened (the last step and what it led to) and what happens next (what the
// Step key will do).  A tour says this in its own words, so with a tour the
// tour panel is that place and this line stays empty.

import { nextStep } from "../panels/zonehead.js";
import { esc, ms, num, setHTML } from "../util.js";

export class ExplainView {
  constructor(ctx) {
    this.ctx = ctx;
    this.el = document.getElementById("explain");
  }

  render() {
    const { store, tour, events, timeline, ui } = this.ctx;
    // Under a workload, a few times a second is as fast as anyone reads.
    const t = performance.now();
    if (ui.busy && t - (this.at ?? 0) < 400) {
      this.timer ??= setTimeout(() => { this.timer = null; this.ctx.invalidate({ events: true }); }, 400);
      return;
    }
    this.at = t;
    if (!store.loaded || tour.active()) { setHTML(this.el, ""); return; }
    const evs = events.last(400);
    let i = evs.length - 1;
    while (i >= 0 && evs[i].kind !== "step") i--;
    let now;
    if (i < 0) now = "nothing yet: act (alloc, free, step, …) and this line says what it did";
    else {
      const st = evs[i];
      const after = evs.slice(i + 1);
      const key = after.find((e) => e.anomaly) ?? after.findLast((e) => e.kind !== "step");
      now = `<span class="mono">${esc(st.text)}</span> @ ${ms(st.t_ms)} ms` +
        (after.length ? ` → ${num(after.length)} event${after.length === 1 ? "" : "s"}${key
          ? `, last: <span class="mono">${esc(key.text)}</span>` : ""}` : "");
    }
    const past = timeline.cursor < timeline.length ? ` (looking at step ${num(timeline.cursor)} of ${num(timeline.length)})` : "";
    const next = esc(nextStep(store));
    setHTML(this.el, `<span title="${esc(now.replace(/<[^>]+>/g, ""))}"><b>just now${past}</b>${now}</span>` +
      `<span title="${next}"><b>next (S)</b>${next}</span>`);
  }
}
