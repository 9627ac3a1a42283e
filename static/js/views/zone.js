// Zone tabs (top bar) and the zone header: REQUESTED/ACTIVE lamps, refcnt,
// the work's state with its countdown, the phase strip and the zone's figures.
// One header per zone is kept in the DOM (only the selected one shows), so the
// flags of every zone are always readable by tests and screen readers.

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
      setHTML(tab, `${esc(z.name)} <span class="pg">${num(z.pages)} pg</span>` +
        `<span class="mini">${miniLamp("REQUESTED", z.flags.requested)}${miniLamp("ACTIVE", z.flags.active)}</span>`);
      setAttr(head, "data-requested", !!z.flags.requested);
      setAttr(head, "data-active", !!z.flags.active);
      if (selected || d.full) setHTML(head, this._header(z));
    }
  }

  _header(z) {
    const { store } = this.ctx;
    const h = store.hinting ?? {};
    const work = h.work ?? { pending: false, phase: "idle" };
    const cfg = store.config.hinting;
    const cycling = work.zone === z.name;
    let state;
    let note = "";
    let workKey = work.phase;
    if (work.phase === "react" || work.phase === "drain") {
      state = `stopped before ${work.phase}`;
      note = cycling ? "cycling this zone · the zone lock is dropped" : `cycling ${esc(work.zone)}`;
    } else if (work.pending) {
      state = "pending";
      workKey = "pending";
      note = `page_hinting_process runs @ ${ms(work.due_ms)} ms`;
    } else {
      state = h.enabled ? "idle" : "idle · hinting off";
      workKey = "idle";
    }
    const stepping = cfg.stepping;
    const phaseStrip = `<span class="phase" aria-label="cycle phases">` +
      `<span>fill</span>` +
      `<span class="${work.phase === "react" ? "on stop" : ""}">react</span>›` +
      `<span class="${work.phase === "drain" ? "on stop" : ""}">drain</span></span>`;
    let due;
    if (work.pending && work.due_ms !== null && work.due_ms !== undefined) {
      const left = Math.max(0, work.due_ms - store.now_ms);
      const frac = cfg.delay_ms ? Math.min(1, left / cfg.delay_ms) : 0;
      due = `<div class="kv due" data-testid="due"><span class="k">due</span>` +
        `<span class="v">in ${num(left)} <span class="unit">ms @ ${ms(work.due_ms)}</span></span>` +
        `<span class="bar" role="progressbar" aria-valuenow="${left}" aria-valuemax="${cfg.delay_ms}">` +
        `<b style="width:${(frac * 100).toFixed(1)}%"></b></span></div>`;
    } else if (work.phase !== "idle") {
      due = `<div class="kv due idle"><span class="k">due</span><span class="v">— running <span class="unit">` +
        `${stepping ? "stepping" : ""}</span></span></div>`;
    } else {
      due = `<div class="kv due idle"><span class="k">due</span><span class="v">— <span class="unit">delay ${cfg.delay_ms} ms` +
        `</span></span></div>`;
    }
    const free = store.freePages(z);
    const hinted = store.hintedPageCount(z);
    const nAnom = (store.anomalies ?? []).filter((a) => a.zone === z.name || a.zone === null).length;
    const last = z.start + z.pages - 1;
    return `<div class="zname">${esc(z.name)}<small>pfn ${num(z.start)}–${num(last)}</small></div>` +
      lamp("REQUESTED", !!z.flags.requested, "lamp-requested") +
      lamp("ACTIVE", !!z.flags.active, "lamp-active") +
      `<div class="kv"><span class="k">refcnt</span><span class="v big" data-testid="refcnt">${num(h.refcnt ?? 0)}</span></div>` +
      `<div class="kv work" data-testid="work" data-work="${workKey}" data-cycling="${cycling}"><span class="k">work</span>` +
      `<span class="v${cycling ? " cyc" : ""}">${state}</span><span class="note">${note || "&nbsp;"}</span></div>` +
      phaseStrip + due +
      `<div class="kv"><span class="k">free · hinted</span><span class="v">${num(free)} <span class="unit">pg</span> · ` +
      `<span class="hp">${num(hinted)}</span> <span class="unit">pg</span></span></div>` +
      `<div class="chips nonproj"><span class="chip">min_order ${cfg.min_order}</span><span class="chip">hwm ${cfg.hwm}</span>` +
      `<span class="chip">capacity ${cfg.capacity}</span></div>` +
      `<button class="anom-badge" data-testid="anomaly-badge" data-count="${nAnom}" title="anomalies present now">` +
      `${nAnom ? "▲ " : ""}${nAnom} ${nAnom === 1 ? "anomaly" : "anomalies"}</button>`;
  }
}
