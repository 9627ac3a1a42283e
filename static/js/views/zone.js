// Zone tabs (top bar) and the zone header: REQUESTED/ACTIVE lamps, refcnt,
// the work's state with its countdown, the phase strip and the zone's figures.
// One header per zone is kept in the DOM (only the selected one shows), so the
// flags of every zone are always readable by tests and screen readers.

import { zoneFlags, zoneHeadModel } from "../panels/zonehead.js";
import { terms } from "../terms.js";
import { esc, num, ms, setAttr, setHTML, setProp, setText } from "../util.js";

const lamp = (name, on, testid) =>
  `<span class="lamp" data-testid="${testid}" data-on="${on}" role="img" aria-label="${name} ${on ? "set" : "clear"}">` +
  `<i></i>${name}</span>`;
const miniLamp = (name, on) =>
  `<span class="lamp" data-on="${on}" title="${name} ${on ? "set" : "clear"}"><i></i></span>`;

export class ZoneView {
  constructor(ctx) {
    this.ctx = ctx;
    this.tabs = document.getElementById("zone-tabs");
    this.headers = document.getElementById("zone-headers");
    this.heads = new Map();
    this.tabEls = new Map();
    this.tabs.addEventListener("click", (e) => {
      const t = e.target.closest(".zone-tab");
      if (t) ctx.actions.setZone(t.dataset.zone);
    });
    this.headers.addEventListener("click", (e) => {
      if (e.target.closest(".anom-badge")) ctx.actions.showAnomalies();
    });
  }

  build() {
    const { store } = this.ctx;
    this.tabs.innerHTML = "";
    this.headers.innerHTML = "";
    this.heads.clear();
    this.tabEls.clear();
    this.tabs.setAttribute("role", "tablist");
    for (const z of store.zones) {
      const tab = document.createElement("button");
      tab.className = "zone-tab";
      tab.setAttribute("role", "tab");
      tab.dataset.testid = "zone-tab";
      tab.dataset.zone = z.name;
      this.tabs.appendChild(tab);
      this.tabEls.set(z.name, tab);
      const head = document.createElement("div");
      head.className = "zone-head";
      head.dataset.testid = "zone";
      head.dataset.zone = z.name;
      this.headers.appendChild(head);
      this.heads.set(z.name, head);
    }
    this.tabs.hidden = store.zones.length < 2 && !this.ctx.ui.projector;
  }

  render(d) {
    const { store, ui } = this.ctx;
    setText(document.getElementById("vtime"), ms(store.now_ms));
    for (const z of store.zones) {
      const tab = this.tabEls.get(z.name);
      const head = this.heads.get(z.name);
      const selected = z.name === ui.zone;
      setAttr(tab, "aria-selected", selected);
      setProp(head, "hidden", !selected);
      const f = zoneFlags(this.ctx.store, z);
      setHTML(tab, `${esc(z.name)} <span class="pg">${num(z.pages)} pg</span>` +
        `<span class="mini">${miniLamp("REQUESTED", f.requested)}${miniLamp("ACTIVE", f.active)}</span>`);
      setAttr(head, "data-requested", f.requested);
      setAttr(head, "data-active", f.active);
      if (selected || d.full) setHTML(head, this._header(z));
    }
  }

  _header(z) {
    const m = zoneHeadModel(this.ctx.store, z);
    const t = terms(this.ctx.store);
    const w = m.work;
    const [p0, p1, p2] = t.phases;
    const phaseStrip = `<span class="phase" aria-label="cycle phases">` +
      `<span>${p0}</span>` +
      `<span class="${w.phase === p1 ? "on stop" : ""}">${p1}</span>›` +
      `<span class="${w.phase === p2 ? "on stop" : ""}">${p2}</span></span>`;
    let due;
    if (m.due.kind === "pending") {
      due = `<div class="kv due" data-testid="due"><span class="k">due</span>` +
        `<span class="v">in ${num(m.due.left)} <span class="unit">ms @ ${ms(m.due.at)}</span></span>` +
        `<span class="bar" role="progressbar" aria-valuenow="${m.due.left}" aria-valuemax="${this.ctx.store.config.hinting.delay_ms}">` +
        `<b style="width:${(m.due.remaining * 100).toFixed(1)}%"></b></span></div>`;
    } else if (m.due.kind === "running") {
      due = `<div class="kv due idle"><span class="k">due</span><span class="v">— running <span class="unit">` +
        `${m.stepping ? "stepping" : ""}</span></span></div>`;
    } else {
      due = `<div class="kv due idle"><span class="k">due</span><span class="v">— <span class="unit">delay ${m.due.delay} ms` +
        `</span></span></div>`;
    }
    const c = m.cfg;
    // The seed's refcnt; reporting has none, but its device's prdev->state.
    const count = m.deviceFlags
      ? `<div class="kv" title="prdev->state"><span class="k">state</span><span class="v big" data-testid="prdev-state">${esc(m.state ?? "–")}</span></div>`
      : `<div class="kv"><span class="k">refcnt</span><span class="v big" data-testid="refcnt">${num(m.refcnt)}</span></div>`;
    const cfgv = (k) => (k === "delay_ms" ? `${num(c[k])} ms` : c[k]);
    return `<div class="zname">${esc(m.name)}<small>pfn ${num(m.start)}–${num(m.last)}</small></div>` +
      lamp("REQUESTED", m.requested, "lamp-requested") +
      lamp("ACTIVE", m.active, "lamp-active") +
      count +
      `<div class="kv work" data-testid="work" data-work="${w.key}" data-cycling="${w.cycling}"><span class="k">work</span>` +
      `<span class="v${w.cycling ? " cyc" : ""}">${w.words}</span><span class="note">${esc(w.note) || "&nbsp;"}</span></div>` +
      `<span class="phone-line">zone ${esc(m.name)} · ${w.words}${m.batch ? ` · batch ${num(m.batch)} block${m.batch === 1 ? "" : "s"}` : ""}</span>` +
      phaseStrip + due +
      `<div class="kv fh"><span class="k">free · ${t.marked.toLowerCase()}</span><span class="v">${num(m.free)} <span class="unit">pg</span> · ` +
      `<span class="hp">${num(m.hinted)}</span> <span class="unit">pg</span></span></div>` +
      `<div class="chips">${t.chips.map((k) => `<span class="chip">${k === "delay_ms" ? "delay" : k} ${cfgv(k)}</span>`).join("")}</div>` +
      `<div class="kv cfg" data-testid="zone-config"><span class="k">${t.cfg.join(" · ")}</span>` +
      `<span class="v">${t.cfg.map((k) => c[k]).join(" · ")}</span></div>` +
      `<button class="anom-badge" data-testid="anomaly-badge" data-count="${m.anomalies}" title="anomalies present now">` +
      `${m.anomalies ? "▲ " : ""}${m.anomalies} ${m.anomalies === 1 ? "anomaly" : "anomalies"}</button>`;
  }
}
