// The page panel (issue 11): a clicked block's `struct page` under a chosen
// encoding, what the kernel and its tools conclude from it, and the zone's
// figures per encoding.  Loaded on the first `hl:block-select` (main.js); a
// page that never shows a page never fetches it.
//
// It asks the server (app/page_api.py) for the page under all three
// encodings at once and keeps them, so switching the encoding redraws from
// what is held, with no request and no flicker; the zone's figures for every
// encoding come from the state's `zones[].page_repr`, which follows each step.
// Any change of the machine it shows (a step, time travel, a resync) asks
// again; an answer that arrives after a newer question was asked is dropped.
// Non-modal: the dashboard stays usable beside it (a drawer on the right, a
// sheet on a phone); Esc closes it and gives the focus back.

import { esc, needStyle } from "../util.js";
import { ENCODING_NAMES, OWN, encodingLabel, pageHtml, totalsHtml } from "./render.js";

const CSS = "/static/css/pagepanel.css";
const USER_INPUT_MS = 1000; // a selection this soon after a click or key press is the user's
const BUSY_GAP_MS = 1000; // while a workload runs, ask at most once a second (a class may have it open)

export function install(ctx) {
  if (!ctx.pagePanel) {
    const panel = new PagePanel(ctx);
    ctx.pagePanel = panel;
    // Drawn after each frame the dashboard draws (frame.js calls ctx.afterFrame); whatever was there runs first.
    const before = ctx.afterFrame;
    ctx.afterFrame = (d) => { before?.(d); panel.render(d); };
  }
  return ctx.pagePanel;
}

class RequestError extends Error {
  constructor(status, err) {
    super(err?.message ?? `the server answered ${status}`);
    this.field = err?.field ?? null;
  }
}

async function getJson(url) {
  let res;
  try { res = await fetch(url); } catch { throw new RequestError(0, { message: "the server cannot be reached" }); }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new RequestError(res.status, data.error);
  return data;
}

class PagePanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.name = "pagepanel";
    this.sel = null; // {side, pfn}: the page shown
    this.chosen = null; // the encoding the user chose; null: the machine's own
    this.data = null; // {side, pfn, page: {enc: doc}, pages: {enc: doc}}
    this.gen = 0;
    this.timer = 0;
    this.inflight = false;
    this.again = false;
    this.lastAsk = 0;
    this.opener = null;
    needStyle(CSS);
    this._build();
  }

  _build() {
    const el = document.createElement("aside");
    el.className = "page-panel";
    el.hidden = true;
    el.setAttribute("data-testid", "page-panel");
    el.setAttribute("role", "dialog");
    el.setAttribute("aria-modal", "false");
    el.setAttribute("aria-labelledby", "pp-title");
    el.innerHTML = `<div class="pp-head"><h2 id="pp-title" tabindex="-1" data-testid="page-title">struct page</h2>` +
      `<span class="pp-side" data-testid="page-side"></span>` +
      `<button class="btn icon pp-close" type="button" data-testid="page-close" aria-label="close the page panel" title="Close (Esc)">×</button></div>` +
      `<div class="pp-enc"><label for="pp-encoding">encoding</label>` +
      `<select id="pp-encoding" data-testid="page-encoding">${ENCODING_NAMES.map((n) => `<option value="${n}">${n}</option>`).join("")}</select>` +
      `<span class="pp-status" data-testid="page-status" role="status" aria-live="polite"></span></div>` +
      `<div class="pp-scroll"><div class="pp-body" data-testid="page-body"></div><div class="pp-zone"></div></div>`;
    document.body.appendChild(el);
    this.el = el;
    this.title = el.querySelector("#pp-title");
    this.sideEl = el.querySelector(".pp-side");
    this.select = el.querySelector("select");
    this.status = el.querySelector(".pp-status");
    this.body = el.querySelector(".pp-body");
    this.zoneEl = el.querySelector(".pp-zone");
    this.select.addEventListener("change", () => {
      this.chosen = this.select.value;
      this._unstick();
      if (this.data) this.draw(); else this.ask(true);
    });
    el.querySelector(".pp-close").addEventListener("click", () => this.close());
    el.addEventListener("click", (e) => {
      const b = e.target.closest("[data-goto]");
      if (b && b.dataset.goto !== "" && !b.disabled) this.go(+b.dataset.goto);
    });
    // Esc closes the panel before anything else hears it (a dialog above it keeps its own Esc).
    window.addEventListener("keydown", (e) => {
      if (e.key !== "Escape" || this.el.hidden || [...document.querySelectorAll(".overlay")].some((o) => !o.hidden)) return;
      const t = e.target;
      const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement;
      if (typing && !this.el.contains(t)) return;
      e.stopPropagation();
      e.preventDefault();
      this.close();
    }, true);
    document.addEventListener("hl:block-select", (e) => this.open(e.detail));
  }

  // --- which page ------------------------------------------------------------------------

  store(side) { return side === "right" ? (this.ctx.compare?.active ? this.ctx.compare.right : null) : this.ctx.store; }

  get encoding() {
    if (this.chosen) return this.chosen;
    const design = this.store(this.sel?.side ?? "left")?.config?.hinting?.design ?? "seed";
    return OWN[design] ?? "offline-alias";
  }

  /**
   * A block was selected (the hl:block-select detail): show its page (the one clicked, or the block's head).
   * The panel opens on what the user did (a click, K; `at`: when the selection was made); a selection that
   * only follows the presenter's view moves an open panel but does not open one on every phone in the room.  A selection of the block whose
   * page is shown keeps that page (a tail stays a tail).
   */
  open(detail, at = performance.now()) {
    if (!detail || detail.sid !== this.ctx.sessionId || !Number.isInteger(detail.pfn)) return;
    const side = detail.side === "right" ? "right" : "left";
    const pfn = Number.isInteger(detail.page) ? detail.page : detail.pfn;
    const wasOpen = !this.el.hidden;
    // Opened by the user's own click or key (main.js stamps ctx.inputAt), not by a view that follows someone's.
    if (!wasOpen && !(at - (this.ctx.inputAt ?? -Infinity) < USER_INPUT_MS)) return;
    if (!wasOpen && !this.el.contains(document.activeElement)) this.opener = document.activeElement;
    if (wasOpen && this.sel?.side === side) {
      if (this.sel.pfn === pfn) return;
      const shown = this.store(side)?.blockAt(this.sel.pfn);
      if (pfn === detail.pfn && shown?.pfn === detail.pfn) return;
    }
    this.sel = { side, pfn };
    this._unstick();
    this._show();
    this.ask(true);
  }

  /** `?page=PFN&encoding=NAME[&side=right]` in the address: open on that page once the state is here. */
  async fromQuery(q) {
    const side = q.get("side") === "right" ? "right" : "left";
    const enc = q.get("encoding");
    const until = async (ok, ms) => { for (let t = 0; t < ms && !ok(); t += 50) await new Promise((r) => setTimeout(r, 50)); };
    await until(() => this.ctx.store.loaded && this.ctx.sessionId, 15000);
    if (side === "right") await until(() => this.ctx.compare?.active, 3000);
    this.opener = document.activeElement;
    const raw = q.get("page");
    // A number is a pfn; anything else goes to the server as it is, for its refusal naming `pfn`.
    this.sel = { side: side === "right" && !this.ctx.compare?.active ? "left" : side, pfn: /^\d{1,12}$/.test(raw) ? +raw : raw };
    this._show();
    if (ENCODING_NAMES.includes(enc)) this.chosen = enc;
    // A wrong side or encoding: the server's answer says what is wrong, naming the field; the panel goes on
    // with what it can show (the left side, the machine's own encoding).
    if (this.sel.side !== side || (enc !== null && !ENCODING_NAMES.includes(enc))) {
      try { await getJson(this._url("page", this.sel.pfn, enc ?? this.encoding, side)); } catch (err) { this._error(err, true); }
    }
    this.ask(true);
  }

  /** Show another page of this side (an lru neighbour, a tail page), and highlight its block. */
  go(pfn) {
    if (!this.sel) return;
    this.sel = { side: this.sel.side, pfn };
    this._unstick();
    this._highlight();
    this.ask(true);
  }

  _highlight() {
    const { side, pfn } = this.sel;
    const b = this.store(side)?.blockAt(pfn);
    if (!b) return;
    const cmp = this.ctx.compare;
    if (cmp?.active) {
      cmp.selected = { side, zone: b.zone, pfn: b.pfn, order: b.order };
      this.ctx.invalidate({ compare: true, selection: true });
    }
    // The map, the grid and the inspector select its block (hl:block-select comes back with this very page).
    if (side === "left") this.ctx.actions.selectBlock(pfn);
  }

  _show() {
    const top = document.getElementById("topbar")?.getBoundingClientRect().bottom ?? 0;
    this.el.style.setProperty("--pp-top", `${Math.max(0, Math.round(top)) + 8}px`);
    if (this.el.hidden) {
      this.el.hidden = false;
      this.data = null;
      this.body.innerHTML = `<div class="hint">reading struct page…</div>`;
      this.zoneEl.innerHTML = "";
      this.title.focus({ preventScroll: true });
    }
  }

  close() {
    if (this.el.hidden) return;
    this.el.hidden = true;
    this._unstick();
    this.sel = null;
    this.data = null;
    this.gen++;
    const back = this.opener;
    this.opener = null;
    if (back && back.isConnected && back !== document.body) back.focus({ preventScroll: true });
    else if (this.el.contains(document.activeElement)) document.activeElement.blur();
  }

  // --- asking the server -----------------------------------------------------------------

  _url(kind, pfn, enc, side) {
    const base = `/api/sessions/${encodeURIComponent(this.ctx.sessionId)}`;
    const q = `encoding=${encodeURIComponent(enc)}${side === "right" ? "&side=right" : ""}`;
    return kind === "page" ? `${base}/page/${encodeURIComponent(pfn)}?${q}` : `${base}/pages?${q}`;
  }

  /** Ask for the page and the zone figures under every encoding; `now` skips the busy-time spacing. */
  ask(now = false) {
    if (!this.sel) return;
    if (this.inflight) { this.again = true; return; }
    clearTimeout(this.timer);
    const wait = now || !this.ctx.ui.busy ? 0 : Math.max(0, BUSY_GAP_MS - (performance.now() - this.lastAsk));
    this.timer = setTimeout(() => this._fetch(), wait);
  }

  async _fetch() {
    const sel = this.sel;
    if (!sel) return;
    const gen = ++this.gen;
    this.inflight = true;
    this.lastAsk = performance.now();
    try {
      const [pages, totals] = await Promise.all([
        Promise.all(ENCODING_NAMES.map((e) => getJson(this._url("page", sel.pfn, e, sel.side)))),
        Promise.all(ENCODING_NAMES.map((e) => getJson(this._url("pages", null, e, sel.side)))),
      ]);
      if (gen === this.gen) {
        const by = (docs) => Object.fromEntries(ENCODING_NAMES.map((e, i) => [e, docs[i]]));
        this.data = { side: sel.side, pfn: sel.pfn, page: by(pages), pages: by(totals) };
        if (!this.sticky) this._clearStatus();
        this.draw();
      }
    } catch (err) {
      if (gen === this.gen) this._error(err);
    } finally {
      this.inflight = false;
      if (this.again) { this.again = false; this.ask(); }
    }
  }

  /** The address's complaint has been seen through: the user moved the panel (another page, encoding, or closed it). */
  _unstick() {
    if (this.sticky) { this.sticky = false; this._clearStatus(); }
  }

  _clearStatus() {
    this.status.textContent = "";
    this.status.classList.remove("bad");
    this.status.dataset.field = "";
  }

  /**
   * Say what the server refused, naming the field.  `sticky` (an address's refusal): it stays through the
   * refreshes every state change brings, until the user moves the panel; otherwise the next answer clears it.
   */
  _error(err, sticky = false) {
    this.sticky = sticky;
    this.status.classList.add("bad");
    this.status.innerHTML = `${err.field ? `<b>${esc(err.field)}</b>: ` : ""}${esc(err.message)}`;
    this.status.dataset.field = err.field ?? "";
    if (!this.data) this.body.innerHTML = `<div class="hint">Nothing to show: the server refused the question above.</div>`;
  }

  // --- drawing ---------------------------------------------------------------------------

  /** Redraw from what is held (an encoding switch costs no request). */
  draw() {
    const d = this.data;
    if (!d || this.el.hidden) return;
    const enc = this.encoding;
    const doc = d.page[enc];
    const design = doc.design;
    if (this.select.value !== enc) this.select.value = enc;
    for (const o of this.select.options) o.textContent = encodingLabel(o.value, design.own_encoding);
    this.title.textContent = `struct page · pfn ${d.pfn}`;
    this.sideEl.textContent = `${this.ctx.compare?.active ? `${d.side} · ` : ""}${design.name === "reporting" ? "reporting" : design.name} · ${doc.zone}`;
    this.sideEl.title = `${design.name === "reporting" ? "free page reporting (5.7)" : design.name}: marks free blocks ${design.mark_name}; its own encoding is ${design.own_encoding}`;
    this.sideEl.dataset.design = design.name;
    // The focus stays on the control it was on (a link, a tail step), or on the title when that one is gone.
    const active = document.activeElement;
    const focused = this.body.contains(active) ? active.dataset.testid ?? "" : null;
    this.body.innerHTML = pageHtml(doc);
    this._zone();
    if (focused !== null) {
      const again = focused && this.body.querySelector(`[data-testid="${focused}"]:not([disabled])`);
      (again || this.title).focus({ preventScroll: true });
    }
    this.el.dataset.pfn = String(d.pfn);
    this.el.dataset.side = d.side;
    this.el.dataset.encoding = enc;
  }

  _zone() {
    const d = this.data;
    const doc = d.page[this.encoding];
    const store = this.store(d.side);
    const z = store?.zone(doc.zone);
    const detail = d.pages[this.encoding]?.zones.find((x) => x.name === doc.zone) ?? null;
    const html = totalsHtml(doc.zone, z?.extra?.page_repr, this.encoding, detail);
    if (html !== this._zoneHtml) { this.zoneEl.innerHTML = html; this._zoneHtml = html; }
  }

  /** Once per animation frame (frame.js): a change of the machine shown asks again; the summary redraws now. */
  render(d) {
    if (!this.sel || this.el.hidden) return;
    const { side } = this.sel;
    if (side === "right" && !this.ctx.compare?.active) { this.sel = { side: "left", pfn: this.sel.pfn }; this.ask(true); return; }
    const changed = d.full || d.now || d.hinting || d.batch || d.zones.size > 0 || (side === "right" && d.compare);
    if (!changed) return;
    if (this.data) this._zone();
    this.ask(!this.ctx.ui.busy);
  }
}
