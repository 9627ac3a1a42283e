// Talks: a presenter and an audience on one session.
//
// The presenter's page shows a QR code and the short /s/<id> link (it carries
// no token, so whoever opens it watches); a controller's view (zone,
// selection, filter, zoom, tour) is sent to the server a few times a second
// at most, and every viewer who follows applies it.  The owner sees who is
// watching, their raised hands, and grants or revokes control; a `role`
// message tells each connection what it may do now.  ?presenter=1 opens the
// speaker-notes window.

import { storeToken, storedToken } from "./session.js";
import { $, esc, num, setHTML, setProp, setText } from "./util.js";

const VIEW_EVERY_MS = 250;
const MAX_EXPANDED = 20;

/** The part of the page's state a viewer can reproduce (JSON, well under 4 KiB). */
export function viewOf({ zone, selection, expanded, filter, zoom, tour }) {
  let sel = null;
  if (selection?.type === "block") sel = { t: "b", pfn: selection.pfn };
  else if (selection?.type === "list") sel = { t: "l", zone: selection.zone, order: selection.order, mt: selection.mt };
  const v = { zone: zone ?? null, sel, filter: filter ?? "all", expanded: [...(expanded ?? [])].slice(0, MAX_EXPANDED) };
  if (zoom) v.zoom = { start: zoom.start, pages: zoom.pages };
  if (tour) v.tour = tour;
  return v;
}

/** Whether an incoming view should be applied: following, not our own, and new. */
export function shouldApply(view, { following, me, last }) {
  if (!view || !following) return false;
  if (view.by && view.by === me) return false;
  return JSON.stringify(view) !== last;
}

// A raised hand, drawn (emoji fonts are not everywhere).
export const HAND = `<svg class="ico hand" viewBox="0 0 16 16" aria-hidden="true"><path d="M5 8.5V3.6a1 1 0 012 0V7.5M7 7.5V2.4a1 1 0 012 0v5.1M9 7.5V3.2a1 1 0 012 0v5M11 8.5V5.6a1 1 0 012 0v4.6a4.8 4.8 0 01-4.8 4.8h-.6a4.6 4.6 0 01-4-2.4L2.2 9.5a1 1 0 011.6-1.1L5 10" stroke="currentColor" stroke-width="1.4" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

const LOOPBACK = /^(localhost|127(\.\d+){3}|\[::1\])$/;
const TOKENS = "hl-control-tokens";

/**
 * A window opened by hand on ?presenter=1 (a new tab has no copy of the page's session storage) asks the
 * session's page in this browser for its control token; resolves true once it has one.
 */
export function askToken(id, waitMs = 900) {
  if (storedToken(id) || typeof BroadcastChannel === "undefined") return Promise.resolve(!!storedToken(id));
  const ch = new BroadcastChannel(TOKENS);
  return new Promise((resolve) => {
    const done = (ok) => { clearTimeout(t); ch.close(); resolve(ok); };
    const t = setTimeout(() => done(false), waitMs);
    ch.onmessage = (e) => {
      if (e.data?.id === id && typeof e.data.token === "string") { storeToken(id, e.data.token); done(true); }
    };
    ch.postMessage({ ask: id });
  });
}

const fmtClock = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

export class Present {
  constructor(ctx) {
    this.ctx = ctx;
    this.following = true;
    this.lastSent = null;
    this.lastApplied = null;
    this.hand = false;
    this.hands = new Set();
    this.started = Date.now();
    this.presenterWindow = new URLSearchParams(location.search).get("presenter") === "1";
    if (this.presenterWindow) document.documentElement.dataset.presenter = "1";
    const on = (sel, ev, fn) => $(sel).addEventListener(ev, fn);
    on("#follow", "change", (e) => {
      this.following = e.target.checked;
      this.lastApplied = null;
      if (this.following) this.applySession();
    });
    on("#viewer-name", "change", () => this.identity());
    on("#raise-hand", "click", () => { this.hand = !this.hand; this.identity(); });
    on("#present-open", "click", () => this.open());
    on("#present-copy", "click", () => this.copy());
    on("#open-presenter", "click", () => this.openPresenter());
    on("#present-dialog", "click", (e) => {
      if (e.target.id === "present-dialog") this.close();
      const b = e.target.closest("[data-grant], [data-revoke]");
      if (b) this.control(b.dataset.grant ? "grant" : "revoke", b.dataset.grant || b.dataset.revoke);
    });
    setInterval(() => this.tick(), VIEW_EVERY_MS);
    // Hand this session's token to its presenter window when that was opened by hand (same browser only).
    if (typeof BroadcastChannel !== "undefined") {
      this.tokens = new BroadcastChannel(TOKENS);
      this.tokens.onmessage = (e) => {
        const id = e.data?.ask;
        const token = id && id === ctx.sessionId ? storedToken(id) : null;
        if (token) this.tokens.postMessage({ id, token });
      };
    }
    $("#present-lan").addEventListener("change", (e) => { if (e.target.name === "lan") this.showLink(e.target.value); });
    if (this.presenterWindow) setInterval(() => this.renderNotes(), 1000);
  }

  me() {
    return this.ctx.conn?.connection ?? null;
  }

  owner() {
    return !!this.ctx.conn?.owner;
  }

  /** The page's view as a viewer would apply it. */
  current() {
    const { ui, events, memmap, tour } = this.ctx;
    return viewOf({
      zone: ui.zone, selection: ui.selection, expanded: ui.expanded, filter: events.filter,
      zoom: memmap.views.get(ui.zone), tour: tour.active() ? tour.name : null,
    });
  }

  /** A controller sends its view when it changed and someone else watches (at most every VIEW_EVERY_MS). */
  tick() {
    const { ui, session } = this.ctx;
    if (ui.role !== "controller" || ui.status !== "live" || !session || session.viewers < 2) return;
    const v = this.current();
    const json = JSON.stringify(v);
    if (json === this.lastSent) return;
    this.lastSent = json;
    this.ctx.conn.request({ type: "view", view: { ...v, by: this.me() } }).catch(() => { this.lastSent = null; });
  }

  /** Apply session.view if we follow it. */
  applySession() {
    const view = this.ctx.session?.view;
    if (!shouldApply(view, { following: this.following && !this.owner(), me: this.me(), last: this.lastApplied })) return;
    this.lastApplied = JSON.stringify(view);
    this.apply(view);
    // What we now show is what was sent: do not send it back.
    this.lastSent = JSON.stringify(this.current());
  }

  /** Show a view (from the presenter, or from a permalink). */
  apply(view) {
    const { ui, actions, events, memmap, store, tour } = this.ctx;
    if (!view || !store.loaded) return;
    if (view.zone && store.zone(view.zone)) actions.setZone(view.zone);
    if (view.tour && !this.ctx.session?.preset) tour.sync(view.tour);
    if (Array.isArray(view.expanded)) ui.expanded = new Set(view.expanded.slice(0, MAX_EXPANDED).map(String));
    if (view.filter && view.filter !== events.filter) events.setFilter(view.filter);
    const s = view.sel;
    if (s?.t === "b" && Number.isInteger(s.pfn)) actions.selectBlock(s.pfn);
    else if (s?.t === "l") actions.selectList(s.zone, s.order, s.mt);
    else if (ui.selection?.type !== "event") actions.clearSelection();
    const z = store.zone(ui.zone);
    if (z) {
      const cur = memmap.views.get(z.name);
      const want = view.zoom ?? null;
      if (JSON.stringify(cur ?? null) !== JSON.stringify(want)) memmap.zoomTo(want);
    }
    this.ctx.invalidate({ selection: true, tour: true, layout: true });
  }

  async identity() {
    const name = $("#viewer-name").value.trim().slice(0, 40) || null;
    try {
      await this.ctx.conn.request({ type: "identity", name, hand: this.hand });
      this.ctx.controls.clearError("viewer");
    } catch (err) {
      this.ctx.controls.error("viewer", err);
    }
    this.ctx.invalidate({ session: true });
  }

  async control(action, connection) {
    try {
      await this.ctx.conn.request({ type: "control", action, connection });
      this.ctx.controls.clearError("present");
    } catch (err) {
      this.ctx.controls.error("present", err);
    }
  }

  url() {
    return `${this.origin ?? location.origin}/s/${this.ctx.sessionId}`;
  }

  /**
   * A page opened on 127.0.0.1 would give phones a link they cannot open: offer this machine's LAN
   * addresses instead (GET /api/server), or say why there are none.
   */
  async lanChoices() {
    const el = $("#present-lan");
    if (!LOOPBACK.test(location.hostname)) { el.hidden = true; return null; }
    let info;
    try { info = await (await fetch("/api/server")).json(); } catch { info = null; }
    el.hidden = false;
    if (!info) { setHTML(el, `<p class="warn">This page is open on ${esc(location.host)}, which no phone can reach, and the server did not say its network addresses.</p>`); return null; }
    if (!info.lan_urls.length) {
      setHTML(el, `<p class="warn" data-testid="present-lan-none">This page is open on <b>${esc(location.host)}</b>: a phone would open ` +
        `<i>itself</i>, not this machine. No network link instead: ${esc(info.why_none)}.</p>`);
      return null;
    }
    setHTML(el, `<div class="k">for phones on this network</div>` + info.lan_urls.map((u, i) =>
      `<label class="inl"><input type="radio" name="lan" value="${esc(u)}"${i ? "" : " checked"} data-testid="present-lan-url"> ` +
      `<span class="mono">${esc(u)}</span></label>`).join("") +
      `<p class="hint">The page is open on ${esc(location.host)}; phones use this machine's network address. The server listens on it.</p>`);
    return info.lan_urls[0];
  }

  async open() {
    $("#present-dialog").hidden = false;
    this.render();
    $("#present-copy").focus();
    this.origin = (await this.lanChoices()) ?? location.origin;
    await this.showLink(this.origin);
  }

  /** Show the audience link (and its QR code) on `origin`. */
  async showLink(origin) {
    this.origin = origin;
    const url = this.url();
    setText($("#present-url"), url);
    const box = $("#present-qr");
    if (box.dataset.url !== url) {
      box.dataset.url = url;
      try {
        const { qrSvg } = await import("./qr.js");
        box.innerHTML = qrSvg(url, { ecc: "M", scale: 8, margin: 4 });
      } catch (err) {
        box.textContent = `No QR code: ${err.message}`;
      }
    }
  }

  close() {
    $("#present-dialog").hidden = true;
  }

  async copy() {
    try {
      await navigator.clipboard.writeText(this.url());
      this.ctx.toast("Audience link copied");
    } catch {
      this.ctx.toast(`Audience link: ${this.url()}`);
    }
  }

  openPresenter() {
    const w = window.open(`/s/${this.ctx.sessionId}?presenter=1`, `hl-presenter-${this.ctx.sessionId}`, "width=1200,height=860");
    if (!w) this.ctx.controls.error("present", { message: "the browser blocked the window: allow pop-ups for this page" });
  }

  /** Roles, the viewer strip, the audience list, raised hands. */
  render() {
    const { ui, session, toast } = this.ctx;
    if (!session) return;
    const owner = this.owner();
    const viewer = ui.role !== "controller";
    const bar = $("#viewerbar");
    setProp(bar, "hidden", owner);
    setText($("#viewer-what"), viewer ? "You are watching: controls are off." : "You have control: act, travel, play the tour. The presenter can take it back.");
    bar.dataset.role = ui.role;
    const audience = session.audience ?? [];
    const me = audience.find((m) => m.id === this.me());
    this.hand = me ? me.hand : this.hand;
    const hb = $("#raise-hand");
    setHTML(hb, `${HAND} ${this.hand ? "Lower hand" : "Raise hand"}`);
    hb.setAttribute("aria-pressed", String(this.hand));
    setProp(hb, "hidden", !viewer);
    $("#follow").checked = this.following;
    // Hands, for the presenter.
    const hands = audience.filter((m) => m.hand);
    if (owner) {
      for (const m of hands) if (!this.hands.has(m.id)) toast(`${m.name || `guest ${m.id}`} raised a hand (Q shows the audience)`);
    }
    this.hands = new Set(hands.map((m) => m.id));
    for (const badge of [$("#present-hands"), $("#proj-hands")]) { // the second one shows in projector mode
      setProp(badge, "hidden", !hands.length || !owner);
      setHTML(badge, `${HAND}${hands.length}`);
      badge.dataset.count = String(hands.length);
      badge.title = `${hands.length} raised hand${hands.length === 1 ? "" : "s"} (Q shows who)`;
    }
    setText($("#present-count"), `${num(Math.max(0, (session.viewers ?? 1) - 1))} watching`);
    if (!$("#present-dialog").hidden) {
      const rows = audience.map((m) => {
        const you = m.id === this.me();
        const who = you ? `you${m.owner ? ", the presenter" : ""}` : m.owner ? "the presenter (another window)" : esc(m.name || `guest ${m.id}`);
        const btn = !owner || m.owner ? "" : m.role === "controller"
          ? `<button class="btn small" data-revoke="${esc(m.id)}" data-testid="revoke">Take back</button>`
          : `<button class="btn small${m.hand ? " primary" : ""}" data-grant="${esc(m.id)}" data-testid="grant" title="They can act too; you keep control">Share control</button>`;
        return `<li data-testid="member" data-id="${esc(m.id)}" data-role="${m.role}" data-hand="${m.hand}">` +
          `<span class="who">${m.hand ? `${HAND} ` : ""}${who}${m.hand ? " <small>(hand raised)</small>" : ""}</span><span class="role">${m.role === "controller" ? "in control" : "watching"}</span>${btn}</li>`;
      }).join("");
      setHTML($("#audience"), rows || `<li class="hint">Nobody yet.</li>`);
      setProp($("#audience-note"), "hidden", owner);
    }
    if (this.presenterWindow) this.renderNotes();
  }

  /** Speaker notes (the ?presenter=1 window): the step shown and the next one. */
  renderNotes() {
    const el = $("#notes");
    const n = this.ctx.tour.notes();
    const s = this.ctx.session;
    const hands = (s?.audience ?? []).filter((m) => m.hand).length;
    const head = `<div class="notes-head"><h2>speaker notes</h2><span class="clock" title="since this window opened">` +
      `${fmtClock((Date.now() - this.started) / 1000)}</span><span>${num(Math.max(0, (s?.viewers ?? 1) - 1))} connected` +
      `${hands ? ` · ${HAND} ${hands} raised` : ""}</span><span class="hint">N next · B back · this window drives the same session</span></div>`;
    let body;
    if (!n) {
      body = `<p class="hint">No tour in this session: notes come from a tour's narrative (Reset to a tour preset).</p>`;
    } else {
      const label = n.p <= 0 ? "intro" : n.p > n.n ? "after the tour" : `step ${n.p} / ${n.n}`;
      body = `<div class="notes-now"><div class="k">now · ${label}</div><p>${esc(n.now)}</p></div>` +
        `<div class="notes-next" data-testid="notes-next"><div class="k">next${n.p < n.n ? ` · step ${n.p + 1}` : n.p === n.n ? " · outro" : ""}</div>` +
        `${n.prompt ? `<p class="prompt">Ask first: ${esc(n.prompt)}</p>` : ""}<p>${esc(n.next || "—")}</p></div>`;
    }
    setHTML(el, head + `<div class="notes-body">${body}</div>`);
  }
}
