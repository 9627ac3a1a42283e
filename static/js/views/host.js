// The host panel: what the hypervisor sees of the guest, with sparklines
// over virtual time.  Samples are taken when the figures change; several
// changes at one virtual instant (stepping) are spread evenly so a step
// still shows as a step.

import { terms } from "../terms.js";
import { num, setHTML, setText } from "../util.js";

const FIGS = [
  { key: "resident_pages", label: "host-resident", short: "resident", colour: "--ink", unit: "pg" },
  { key: "reported_pages", label: "reported", colour: "--hinted", unit: "pg" },
  { key: "refaults", label: "refaults", colour: "--ink-2", unit: "pg" },
  { key: "wasted_hints", label: "wasted hints", short: "wasted", colour: "--anomaly", unit: "blocks" },
];
const MAX_SAMPLES = 240;
const WINDOW_MS = 2000;

export class HostView {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById("host");
    this.windowEl = document.getElementById("host-window");
    this.samples = [];
    this.root.innerHTML = FIGS.map((f) =>
      `<div class="fig" data-testid="host-${f.key.replace(/_/g, "-")}"><span class="k"><span class="long">${f.label}</span>` +
      `<span class="short">${f.short ?? f.label}</span></span>` +
      `<span class="v"></span><svg viewBox="0 0 100 30" preserveAspectRatio="none" aria-hidden="true">` +
      `<path class="ar" style="fill:var(${f.colour})"></path><path class="ln" style="stroke:var(${f.colour})"></path></svg>` +
      `<span class="d"></span></div>`).join("");
    this.figs = [...this.root.children];
  }

  reset() { this.samples = []; }

  render(d) {
    if (!(d.full || d.host || d.now)) return;
    const { store } = this.ctx;
    const h = store.host;
    if (!h) return;
    const total = store.zones.reduce((s, z) => s + z.pages, 0);
    const t = terms(store);
    const [wasted, wastedWhat] = t.wasted;
    setText(this.figs[3].querySelector(".long"), wasted); // the design's words (a reset may change it)
    const last = this.samples.at(-1);
    const changed = !last || FIGS.some((f) => last[f.key] !== h[f.key]);
    if (changed || (last && store.now_ms !== last.t)) {
      this.samples.push({ t: store.now_ms, ...h });
      if (this.samples.length > MAX_SAMPLES) this.samples.shift();
    }
    FIGS.forEach((f, i) => {
      const el = this.figs[i];
      const v = h[f.key];
      const vEl = el.querySelector(".v");
      const prev = vEl.dataset.value;
      vEl.dataset.value = String(v);
      if (f.key === "resident_pages") {
        setHTML(vEl, `${num(v)}<small><span class="of"> / ${num(total)}</span> pg</small>`);
        setText(el.querySelector(".d"), `${total ? ((100 * v) / total).toFixed(1) : 0} % of the guest`);
      } else {
        setHTML(vEl, `${num(v)}<small> ${f.unit}</small>`);
        setText(el.querySelector(".d"), {
          reported_pages: `pages handed to ${t.host}`,
          refaults: "allocs touching dropped pages",
          wasted_hints: wastedWhat,
        }[f.key]);
      }
      if (prev !== undefined && prev !== String(v) && !d.full && !el.flashing) {
        el.flashing = true;
        const anim = vEl.animate([{ color: "var(--inflight)" }, { color: "inherit" }], { duration: 700, easing: "ease-out" });
        anim.onfinish = () => { el.flashing = false; };
      }
      this._spark(el, f.key, f.key === "resident_pages" ? total : null);
    });
    const span = this.samples.length ? this.samples.at(-1).t - this.samples[0].t : 0;
    setText(this.windowEl, `sparklines: last ${num(Math.min(span, WINDOW_MS))} ms virtual`);
  }

  _spark(el, key, max) {
    const now = this.ctx.store.now_ms;
    const pts = this.samples.filter((s) => s.t >= now - WINDOW_MS);
    const ln = el.querySelector(".ln");
    const ar = el.querySelector(".ar");
    if (pts.length < 2) { ln.setAttribute("d", ""); ar.setAttribute("d", ""); return; }
    const t0 = pts[0].t;
    const t1 = pts.at(-1).t;
    const vals = pts.map((p) => p[key]);
    const lo = max === null ? Math.min(...vals) : 0;
    const hi = max === null ? Math.max(...vals) : max;
    const span = hi - lo || 1;
    // Equal times (a step at a frozen clock) are spread over their share of the x axis.
    const xs = [];
    if (t1 === t0) pts.forEach((_, i) => xs.push((100 * i) / (pts.length - 1)));
    else pts.forEach((p) => xs.push((100 * (p.t - t0)) / (t1 - t0)));
    let dpath = "";
    pts.forEach((p, i) => {
      const y = 28 - (26 * (p[key] - lo)) / span;
      dpath += `${i ? "L" : "M"}${xs[i].toFixed(2)},${y.toFixed(2)}`;
    });
    ln.setAttribute("d", dpath);
    ar.setAttribute("d", `${dpath}L100,30L0,30Z`);
  }
}
