// Clicks and keys -> protocol requests.  Every control has a key (listed by
// `?`), and every refusal from the server is shown, in words, next to the
// control that caused it.

import { stepRequest } from "./panels/zonehead.js";
import { applyTerms, designOf, terms } from "./terms.js";
import { $, $$, esc, num, setAttr, setProp, setText } from "./util.js";

const SPEEDS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 100];
const ERROR_MS = 6000;

/** A whole number >= 0 typed in `el`, or an error naming what is wrong. */
export function wholeNumber(raw, what, max = Infinity) {
  const v = String(raw ?? "").trim();
  if (v === "") return { error: `give ${what}` };
  if (!/^-?\d+$/.test(v)) return { error: `${what} must be a whole number, not ${JSON.stringify(v)}` };
  const n = Number(v);
  if (n < 0) return { error: `${what} cannot be negative (${n})` };
  if (n > max) return { error: `${what} goes up to ${num(max)} here, not ${num(n)}` };
  return { value: n };
}
const ALLOC_MTS = ["Unmovable", "Movable", "Reclaimable"];

export const KEYS = [
  ["?", "show or hide this list"],
  ["Esc", "close, clear the selection"],
  ["Space", "run / pause the virtual clock"],
  ["S", "step: run the work to its next stopping point"],
  ["M", "Auto / Step mode"],
  ["H", "hinting on / off"],
  ["A", "alloc (zone, order, migratetype of the act panel)"],
  ["[  ]", "alloc order down / up"],
  ["T", "alloc migratetype: next one"],
  ["F", "free the selected block (or type a pfn)"],
  ["G", "move the selected block's pageblock"],
  ["K", "the selected block's struct page"],
  [".  >", "advance the clock 10 / 100 ms"],
  ["+  −", "clock faster / slower"],
  ["W", "start / stop the workload"],
  ["Shift+R", "reset to the chosen preset"],
  ["Z  1–9", "next zone / zone n"],
  ["/", "filter the event log"],
  ["E", "event log: next filter (the chips over the log, in turn: all, steps, alloc/free, ...)"],
  ["0", "memory map: show the whole zone (after zooming with the wheel)"],
  ["←  →", "time travel: step back / forward (Shift: 10 steps; at the end of a tour, its next step)"],
  ["J", "jump to a step (type its number, Enter)"],
  ["U", "undo the last step"],
  ["N  B", "tour: next step (after your prediction) / back"],
  ["L", "copy a watch-only link to this session"],
  ["C", "copy a permalink: this scenario, step and view"],
  ["X", "share and export: link, scenario, state, SVG, PNG, GIF, WebM"],
  ["Q", "present: QR code, audience, raised hands, control"],
  ["P", "projector mode"],
  ["D", "dark / light theme"],
];

export class Controls {
  constructor(ctx) {
    this.ctx = ctx;
    this.errTimers = new Map();
    this.busy = new Set();
    this._bind();
    $("#help-keys").innerHTML = KEYS.map(([k, what]) =>
      `<div><kbd>${esc(k)}</kbd><span>${esc(what)}</span></div>`).join("");
    this._loadPresets();
  }

  // --- requests ------------------------------------------------------------------------

  /** Send a request; show a refusal next to `slot`.  Resolves to the result or null. */
  async send(body, slot) {
    const { ctx } = this;
    this.clearErrors(slot); // an older refusal next to another control is no longer news
    if (ctx.ui.role !== "controller" && body.type !== "resync") {
      this.error(slot, { code: "read_only", message: "this page only watches the session (open it with its control token to act)" });
      return null;
    }
    try {
      const res = await ctx.conn.request(body);
      this.clearError(slot);
      return res;
    } catch (err) {
      this.error(slot, err);
      return null;
    }
  }

  doStep(step, slot) {
    return this.send({ type: "do", step }, slot);
  }

  error(slot, err) {
    const el = $(`[data-testid="error"][data-for="${slot}"]`);
    if (!el) { this.ctx.toast(err.message); return; }
    let msg = err.message ?? String(err);
    if (err.code === "rate_limited") msg = `too fast: ${msg}`;
    if (err.field && err.code === "invalid") msg = `${err.field}: ${msg}`;
    el.textContent = msg;
    el.dataset.code = err.code ?? "";
    el.hidden = false;
    clearTimeout(this.errTimers.get(slot));
    this.errTimers.set(slot, setTimeout(() => { el.hidden = true; }, ERROR_MS));
  }

  /** Hide every shown refusal but the one of `keep`. */
  clearErrors(keep) {
    for (const el of $$('[data-testid="error"]:not([hidden])')) if (el.dataset.for !== keep) el.hidden = true;
  }

  clearError(slot) {
    const el = $(`[data-testid="error"][data-for="${slot}"]`);
    if (el) el.hidden = true;
  }

  // --- actions -------------------------------------------------------------------------

  toggleClock() {
    const running = this.ctx.session?.clock?.running;
    return this.send({ type: "clock", action: running ? "pause" : "run" }, "clock");
  }

  setSpeed(speed) {
    return this.send({ type: "clock", action: "speed", speed }, "clock");
  }

  nudgeSpeed(dir) {
    const cur = this.ctx.session?.clock?.speed ?? 1;
    let i = SPEEDS.findIndex((s) => s >= cur - 1e-9);
    if (i < 0) i = SPEEDS.length - 1;
    i = Math.max(0, Math.min(SPEEDS.length - 1, i + dir));
    return this.setSpeed(SPEEDS[i]);
  }

  setStepping(on) { return this.doStep({ do: "stepping", on }, "stepping"); }

  /** Step: run the work to its next stopping point.  Pending work waits for its due time: the clock goes there first
   *  (an advance), so the work runs at the time it was due, as it would have on its own. */
  step() { return this.doStep(stepRequest(this.ctx.store), "step"); }

  hinting(on) { return this.doStep({ do: on ? "hinting_start" : "hinting_stop" }, "hinting"); }

  alloc() {
    return this.doStep({
      do: "alloc", zone: $("#alloc-zone").value, order: +$("#alloc-order").value,
      migratetype: $("#alloc-migratetype").value,
    }, "alloc");
  }

  free(pfn, order, slot = "free") {
    const ok = wholeNumber(pfn, "the pfn");
    if (ok.error) { this.error(slot === "map" ? "free" : slot, { message: ok.error }); return null; }
    const step = { do: "free", pfn: ok.value };
    if (order !== undefined && order !== null && !Number.isNaN(order)) step.order = order;
    return this.doStep(step, slot === "map" ? "free" : slot);
  }

  advance(msv) { return this.doStep({ do: "advance", ms: msv }, "advance"); }

  movePageblock() {
    const ok = wholeNumber($("#move-pfn").value, "a pfn inside the pageblock to move");
    if (ok.error) { this.error("move", { message: ok.error }); $("#move-pfn").focus(); return null; }
    return this.doStep({ do: "move_pageblock", pfn: ok.value, migratetype: $("#move-migratetype").value }, "move");
  }

  workload() {
    const wl = this.ctx.session?.workload;
    if (wl?.running) return this.send({ type: "workload", action: "stop" }, "workload");
    const rate = Number($("#workload-rate").value);
    if (!(rate > 0)) { this.error("workload", { message: `the rate must be more than 0 steps a second, not ${$("#workload-rate").value || "nothing"}` }); return null; }
    const live = wholeNumber($("#workload-live").value, "the live blocks");
    if (live.error || live.value < 1) { this.error("workload", { message: live.error ?? "keep at least 1 block live" }); return null; }
    return this.send({ type: "workload", action: "start", rate, live_target: live.value, seed: 1 }, "workload");
  }

  reset() {
    const preset = $("#reset-preset").value || this.ctx.session?.preset || "default";
    return this.send({ type: "reset", preset }, "reset");
  }

  async share() {
    const url = `${location.origin}/s/${this.ctx.sessionId}`;
    try {
      await navigator.clipboard.writeText(url);
      this.ctx.toast(`Watch-only link copied: ${url}`);
    } catch {
      this.ctx.toast(`Watch-only link: ${url}`);
    }
  }

  freeSelected() {
    const sel = this.ctx.ui.selection;
    if (sel?.type === "block") {
      const b = this.ctx.store.blockAt(sel.pfn);
      if (b && b.kind === "allocated" && b.pfn === sel.pfn) return this.free(b.pfn, b.order);
    }
    const v = $("#free-pfn").value;
    if (v !== "") return this.free(v, undefined);
    this.error("free", { message: "select an allocated block (click it), or type its pfn" });
    $("#free-pfn").focus();
    return null;
  }

  // --- wiring --------------------------------------------------------------------------

  _bind() {
    const on = (sel, ev, fn) => $(sel).addEventListener(ev, fn);
    on("#clock-toggle", "click", () => this.toggleClock());
    on("#clock-speed", "change", (e) => this.setSpeed(+e.target.value));
    on("#mode-auto", "click", () => this.setStepping(false));
    on("#mode-step", "click", () => this.setStepping(true));
    on("#step", "click", () => this.step());
    on("#hinting-start", "click", () => this.hinting(true));
    on("#hinting-stop", "click", () => this.hinting(false));
    on("#reset", "click", () => this.reset());
    on("#compare-toggle", "click", () => this.send({ type: "compare", on: !this.ctx.session?.compare }, "reset"));
    on("#share", "click", () => this.share());
    on("#theme-toggle", "click", () => this.ctx.actions.toggleTheme());
    on("#projector-toggle", "click", () => this.ctx.actions.toggleProjector());
    on("#help-toggle", "click", () => this.toggleHelp());
    on("#help", "click", (e) => { if (e.target.id === "help") this.toggleHelp(false); });
    on("#alloc-form", "submit", (e) => { e.preventDefault(); this.alloc(); });
    on("#free-form", "submit", (e) => { e.preventDefault(); this.freeSelected(); });
    on("#move-form", "submit", (e) => { e.preventDefault(); this.movePageblock(); });
    on("#workload-form", "submit", (e) => { e.preventDefault(); this.workload(); });
    on("#advance-10", "click", () => this.advance(10));
    on("#advance-100", "click", () => this.advance(100));
    on("#free-pick", "focus", () => this.fillFreePick());
    on("#free-pick", "mousedown", () => this.fillFreePick());
    on("#free-pick", "change", (e) => {
      const v = e.target.value;
      if (!v) return;
      const [pfn, order] = v.split(":").map(Number);
      $("#free-pfn").value = String(pfn);
      this.free(pfn, order);
      e.target.value = "";
    });
    on("#alloc-zone", "change", () => this.fillOrders());
    document.addEventListener("keydown", (e) => this._key(e));
    // A choice made in a dropdown with the mouse leaves the focus there, and with it every key: give it back
    // (arrow keys on a focused dropdown still walk its options).
    document.addEventListener("keydown", (e) => { if (e.target instanceof HTMLSelectElement) e.target.dataset.keyAt = String(performance.now()); }, true);
    document.addEventListener("change", (e) => {
      const t = e.target;
      if (t instanceof HTMLSelectElement && performance.now() - +(t.dataset.keyAt ?? 0) > 600) t.blur();
    });
    for (const el of $$('[data-testid="error"]')) el.addEventListener("click", () => { el.hidden = true; });
  }

  toggleHelp(show) {
    const el = $("#help");
    el.hidden = show === undefined ? !el.hidden : !show;
  }

  fillFreePick() {
    const { store, ui } = this.ctx;
    const z = store.zone(ui.zone);
    const sel = $("#free-pick");
    if (!z) return;
    const blocks = [...z.alloc.entries()].sort((a, b) => a[0] - b[0]).slice(0, 1000);
    sel.innerHTML = `<option value="">${num(z.alloc.size)} allocated in ${esc(z.name)}…</option>` +
      blocks.map(([pfn, a]) => `<option value="${pfn}:${a.order}">${pfn} · o${a.order} · ${esc(a.mt)}</option>`).join("");
  }

  /** Fill the selects that depend on the machine (after each snapshot that changed it). */
  build() {
    const { store, ui } = this.ctx;
    const zsel = $("#alloc-zone");
    const cur = zsel.value;
    zsel.innerHTML = store.zones.map((z) => `<option>${esc(z.name)}</option>`).join("");
    zsel.value = store.zone(cur) ? cur : ui.zone;
    this.fillOrders();
    const live = $("#workload-live");
    if (!live.dataset.touched) {
      const pages = store.zones.at(-1).pages;
      live.value = String(Math.max(4, Math.min(2000, Math.round(pages / 32))));
    }
  }

  fillOrders() {
    const { store } = this.ctx;
    const osel = $("#alloc-order");
    const cur = osel.value;
    const n = store.config.max_order;
    osel.innerHTML = Array.from({ length: n }, (_, o) => `<option value="${o}">o${o} · ${num(1 << o)} pg</option>`).join("");
    osel.value = cur !== "" && +cur < n ? cur : String(Math.min(n - 1, store.config.hinting.min_order));
  }

  async _loadPresets() {
    try {
      const res = await fetch("/api/presets");
      const list = await res.json();
      const sel = $("#reset-preset");
      const opt = (p) => `<option value="${esc(p.name)}" title="${esc(p.description)}">${esc(p.kind === "tour" ? p.title : p.name)}</option>`;
      const tours = list.filter((p) => p.kind === "tour");
      sel.innerHTML = `<optgroup label="machines">${list.filter((p) => p.kind !== "tour").map(opt).join("")}</optgroup>` +
        (tours.length ? `<optgroup label="guided tours">${tours.map(opt).join("")}</optgroup>` : "");
      if (this.ctx.session?.preset) sel.value = this.ctx.session.preset;
    } catch { /* the select stays empty; reset uses the session's preset */ }
  }

  /** Reflect the session and state in the controls (labels, pressed states, read-only). */
  update() {
    const { ui, store } = this.ctx;
    const s = this.ctx.session;
    const ro = ui.role !== "controller" || ui.status !== "live";
    if (this.ro !== ro) {
      this.ro = ro;
      for (const el of $$("#topbar button:not(.icon):not(.zone-tab):not(.ro-ok), #topbar select, #act button, #act select, #act input")) {
        el.disabled = ro;
      }
    }
    setProp($("#role-badge"), "hidden", ui.role === "controller");
    const running = !!s?.clock?.running;
    const ct = $("#clock-toggle");
    setText(ct.querySelector(".lbl"), running ? "Pause" : "Run");
    setAttr(ct, "aria-pressed", running);
    setAttr(ct, "data-running", running);
    const sp = $("#clock-speed");
    const speed = s?.clock?.speed ?? 1;
    if (this.speed !== speed) {
      this.speed = speed;
      if (![...sp.options].some((o) => +o.value === speed)) sp.add(new Option(`${speed}×`, String(speed)));
      sp.value = String(speed);
    }
    if (!store.loaded) return;
    if (this.design !== designOf(store)) applyTerms(store); // the page's fixed words (title, legends, button titles)
    this.design = designOf(store);
    const stepping = !!store.config.hinting.stepping;
    setAttr($("#mode-auto"), "aria-pressed", !stepping);
    setAttr($("#mode-step"), "aria-pressed", stepping);
    const enabled = !!store.hinting?.enabled;
    setAttr($("#hinting-start"), "aria-pressed", enabled);
    setAttr($("#hinting-stop"), "aria-pressed", !enabled);
    const work = store.hinting?.work ?? {};
    const req = stepRequest(store);
    const t = terms(store);
    setProp($("#step"), "title", work.phase === t.host ? `Step: ${t.host} (the host drops the batch) (S)`
      : work.phase === "drain" ? `Step: drain (the batch comes back ${t.drainsAs}) (S)`
        : req.do === "advance" ? `Step: advance the clock ${req.ms} ms to the due time and run the work there (S)`
          : work.pending ? "Step: run the pending work now (S)" : "Step: nothing is pending (S)");
    const wl = s?.workload;
    const wb = $("#workload-toggle");
    setText(wb, wl?.running ? `stop (${num(wl.rate)}/s)` : "start");
    setAttr(wb, "aria-pressed", !!wl?.running);
    if (s?.preset && !$("#reset-preset").dataset.touched && this.preset !== s.preset) {
      this.preset = s.preset;
      $("#reset-preset").value = s.preset;
    }
  }

  // --- keys ----------------------------------------------------------------------------

  _key(e) {
    const t = e.target;
    const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement;
    if (e.key === "Escape") {
      const open = $$(".overlay").filter((o) => !o.hidden);
      if (open.length) for (const o of open) o.hidden = true;
      else if (typing) t.blur();
      else this.ctx.actions.clearSelection();
      return;
    }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    const { actions, store, timelineView: tv, tour, share, present, autoplay } = this.ctx;
    const k = e.key;
    let handled = true;
    if (!$$(".overlay").every((o) => o.hidden) && k !== "?") return; // a dialog is open: its own controls
    switch (k) {
      case "ArrowLeft": tv.by(e.shiftKey ? -10 : -1); break;
      case "ArrowRight": if (e.shiftKey) tv.by(10); else tv.forward(); break;
      case "j": case "J": $("#tl-step").focus(); $("#tl-step").select(); break;
      case "u": case "U": tv.undo(); break;
      // While a tour is loading, N and B wait for it rather than travel the timeline.
      case "n": case "N": tour.settled().then((on) => (on ? tour.next() : tv.forward())); break;
      case "b": case "B": tour.settled().then((on) => (on ? tour.back() : tv.by(-1))); break;
      case "c": case "C": share.copyLink(); break;
      case "x": case "X": share.open(); break;
      case "q": case "Q": present.open(); break;
      case "?": this.toggleHelp(); break;
      case " ": if (autoplay) autoplay.toggle(); else this.toggleClock(); break;
      case "s": case "S": this.step(); break;
      case "m": case "M": this.setStepping(!store.config?.hinting?.stepping); break;
      case "h": case "H": this.hinting(!store.hinting?.enabled); break;
      case "a": case "A": this.alloc(); break;
      case "[": case "]": {
        const o = $("#alloc-order");
        const n = o.options.length;
        o.value = String(Math.max(0, Math.min(n - 1, +o.value + (k === "]" ? 1 : -1))));
        this.ctx.toast(`alloc order ${o.value}`);
        break;
      }
      case "t": case "T": {
        const m = $("#alloc-migratetype");
        m.value = ALLOC_MTS[(ALLOC_MTS.indexOf(m.value) + 1) % ALLOC_MTS.length];
        this.ctx.toast(`alloc migratetype ${m.value}`);
        break;
      }
      case "f": case "F": this.freeSelected(); break;
      case "g": case "G": {
        const sel = this.ctx.ui.selection;
        if (sel?.type === "block") actions.prefillMove(sel.pfn);
        else $("#move-pfn").focus();
        break;
      }
      case ".": this.advance(10); break;
      case ">": this.advance(100); break;
      case "+": case "=": this.nudgeSpeed(1); break;
      case "-": case "_": this.nudgeSpeed(-1); break;
      case "w": case "W": this.workload(); break;
      case "R": this.reset(); break;
      case "z": case "Z": actions.nextZone(); break;
      case "/": $("#ev-text").focus(); break;
      case "e": case "E": actions.nextEventFilter(); break;
      case "0": actions.zoomOut(); break;
      case "l": case "L": this.share(); break;
      case "p": case "P": actions.toggleProjector(); break;
      case "d": case "D": actions.toggleTheme(); break;
      case "k": case "K": if (this.ctx.ui.selection?.type === "block") actions.selectBlock(this.ctx.ui.selection.pfn); break;
      default:
        if (/^[1-9]$/.test(k) && store.zones[+k - 1]) actions.setZone(store.zones[+k - 1].name);
        else handled = false;
    }
    if (handled) e.preventDefault();
  }
}

