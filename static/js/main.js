// Wiring: the session, the connection, the store, the views, one render per
// animation frame.
//
// Messages only update the store and fold what changed into a dirty record;
// the views read the store once per frame, so a burst of deltas costs one
// redraw, and each view redraws only what the dirty record names.

import { Connection } from "./connection.js";
import { Controls } from "./controls.js";
import { Autoplay, parseEmbed, renderEmbedBar } from "./embed.js";
import { checkPayload, codeFromHash, decodePayload } from "./permalink.js";
import { Present } from "./present.js";
import { History, createSession, restoreSession, sessionIdFromPath, showSessionUrl, storeToken, storedToken } from "./session.js";
import { Share } from "./share.js";
import { Store, StoreError, mergeDirty, newDirty } from "./store.js";
import { TimelineView } from "./timeline.js";
import { Tour } from "./tour.js";
import { $, esc } from "./util.js";
import { BatchView } from "./views/batch.js";
import { EventsView } from "./views/events.js";
import { FreeAreaView } from "./views/freearea.js";
import { HostView } from "./views/host.js";
import { InspectorView } from "./views/inspector.js";
import { MemMapView } from "./views/memmap.js";
import { ZoneView } from "./views/zone.js";

const root = document.documentElement;
const ui = {
  zone: null,
  selection: null,
  highlight: { pfns: new Set(), lists: new Set() },
  expanded: new Set(),
  dropped: new Set(), // pfns freed into the cycling zone while its lock was dropped
  role: "viewer",
  status: "connecting",
  projector: root.dataset.mode === "projector",
  busy: false,
  linkTour: null, // the tour a permalink named (its session has no preset)
};
const embedOpts = parseEmbed(location.search);
if (embedOpts.embed) root.dataset.embed = "1";
const store = new Store();
const hist = new History();
let pending = newDirty();
let extra = {};
let raf = 0;
let firstRendered = false;
let machineSig = "";
// Where the time goes, per view (read by bench/dashboard_bench.py).
const stats = { frames: 0, deltas: 0, snapshots: 0, resyncs: 0, applyMs: 0, views: {} };

const ctx = {
  store, ui, hist, session: null, sessionId: null, conn: null,
  timeline: { cursor: 0, length: 0, branches: [] }, // where the session is in its history
  opening: null, // {step, view} of a permalink, applied once the page controls its session
  invalidate(flags = {}) {
    for (const [k, v] of Object.entries(flags)) extra[k] = extra[k] || v;
    schedule();
  },
  toast,
};

// --- actions (what views and keys can ask for) ---------------------------------------

function setHighlight(pfns = [], lists = []) {
  ui.highlight = { pfns: new Set(pfns.filter((p) => p !== null && p !== undefined)), lists: new Set(lists) };
  ctx.invalidate({ selection: true });
}

ctx.actions = {
  setZone(name) {
    if (!store.zone(name) || ui.zone === name) return;
    ui.zone = name;
    ctx.invalidate({ zoneChanged: true });
  },
  nextZone() {
    const i = store.zones.findIndex((z) => z.name === ui.zone);
    ctx.actions.setZone(store.zones[(i + 1) % store.zones.length].name);
  },
  selectBlock(pfn) {
    const b = store.blockAt(pfn);
    ui.selection = { type: "block", pfn: b ? b.pfn : pfn };
    if (b && b.zone !== ui.zone) ctx.actions.setZone(b.zone);
    setHighlight([b ? b.pfn : pfn], b?.key ? [`${b.zone}|${b.key}`] : []);
  },
  selectList(zone, order, mt) {
    ui.selection = { type: "list", zone, order, mt };
    setHighlight([], [`${zone}|${order}/${mt}`]);
  },
  selectEvent(ev) {
    ui.selection = { type: "event", ev };
    if (ev.zone && ev.zone !== ui.zone && store.zone(ev.zone)) ctx.actions.setZone(ev.zone);
    const lists = (ev.lists ?? []).map(([z, o, mt]) => `${z}|${o}/${mt}`);
    if (ev.boundary) lists.push(`${ev.boundary.zone}|${ev.boundary.order}/${ev.boundary.migratetype}`);
    setHighlight(ev.blocks ?? [], lists);
  },
  selectAnomaly(i) {
    const a = (store.anomalies ?? [])[i];
    if (!a) return;
    ui.selection = { type: "event", ev: { ...a, text: a.message, fn: a.seed_fn, anomaly: a.kind, t_ms: store.now_ms,
      blocks: a.pfn !== null ? [a.pfn] : [], lists: a.order !== null ? [[a.zone, a.order, a.migratetype]] : [] } };
    if (a.zone && a.zone !== ui.zone) ctx.actions.setZone(a.zone);
    setHighlight(a.pfn !== null ? [a.pfn] : [], a.order !== null ? [`${a.zone}|${a.order}/${a.migratetype}`] : []);
  },
  showAnomalies() {
    ctx.actions.clearSelection();
    events.setFilter("anom");
  },
  clearSelection() {
    ui.selection = null;
    setHighlight();
  },
  free(pfn, order, slot) { return controls.free(pfn, order, slot); },
  nextEventFilter() { events.nextFilter(); },
  zoomOut() { memmap.zoomTo(null); },
  prefillMove(pfn) {
    $("#move-pfn").value = String(pfn);
    $("#move-migratetype").focus();
  },
  toggleTheme() {
    root.dataset.theme = root.dataset.theme === "dark" ? "light" : "dark";
    try { localStorage.setItem("hl.theme", root.dataset.theme); } catch { /* ignore */ }
    memmap.themeChanged();
    ctx.invalidate({ themeChanged: true, layout: true });
  },
  toggleProjector() {
    ui.projector = !ui.projector;
    root.dataset.mode = ui.projector ? "projector" : "normal";
    try { localStorage.setItem("hl.mode", root.dataset.mode); } catch { /* ignore */ }
    memmap.themeChanged();
    zoneView.build();
    events.rebuild = true;
    ctx.invalidate({ modeChanged: true, themeChanged: true, layout: true, full: true });
  },
};

// --- views -------------------------------------------------------------------------------

const zoneView = new ZoneView(ctx);
const freeArea = new FreeAreaView(ctx);
const batch = new BatchView(ctx);
const memmap = new MemMapView(ctx);
const host = new HostView(ctx);
const events = new EventsView(ctx);
const inspector = new InspectorView(ctx);
const controls = new Controls(ctx);
const tour = new Tour(ctx);
const timelineView = new TimelineView(ctx);
const present = new Present(ctx);
const share = new Share(ctx);
const autoplay = embedOpts.autoplay ? new Autoplay(ctx, embedOpts) : null;
Object.assign(ctx, { controls, events, memmap, tour, timelineView, present, share, autoplay });
$("#reset-preset").addEventListener("change", (e) => { e.target.dataset.touched = "1"; });
$("#workload-live").addEventListener("input", (e) => { e.target.dataset.touched = "1"; });

function schedule() {
  if (!raf) raf = requestAnimationFrame(frame);
}

// While busy (a workload, a fast clock), the DOM is redrawn at most every
// BUSY_GAP_MS: the eye cannot follow more, and each redraw costs a style and
// layout pass.  What the user does (select, switch zone, change mode) is never
// held back.
const BUSY_GAP_MS = 70;
const URGENT = ["full", "selection", "zoneChanged", "modeChanged", "themeChanged", "layout", "role", "tour"];
let lastRender = 0;
let holdTimer = 0;

function frame(now) {
  raf = 0;
  if (ui.busy && now - lastRender < BUSY_GAP_MS && !pending.full && !URGENT.some((k) => extra[k])) {
    if (!holdTimer) holdTimer = setTimeout(() => { holdTimer = 0; schedule(); }, BUSY_GAP_MS - (now - lastRender));
    return;
  }
  lastRender = now;
  const d = pending;
  pending = newDirty();
  Object.assign(d, extra, { full: d.full || extra.full });
  extra = {};
  if (!store.loaded) return;
  const stateChanged = d.full || d.now || d.hinting || d.zones.size || d.host || d.anomalies || d.zoneChanged ||
    d.modeChanged || d.selection || d.layout || d.session || d.events || d.role || d.timeline || d.tour;
  const timed = (name, fn) => {
    const t0 = performance.now();
    fn();
    const dt = performance.now() - t0;
    const s = stats.views[name] ?? (stats.views[name] = { ms: 0, max: 0, n: 0 });
    s.ms += dt; s.n++; if (dt > s.max) s.max = dt;
  };
  stats.frames++;
  if (stateChanged) {
    timed("zone", () => zoneView.render(d));
    timed("freearea", () => freeArea.render(d));
    timed("batch", () => batch.render(d));
  }
  timed("memmap", () => memmap.render(d));
  if (stateChanged) {
    timed("host", () => host.render(d));
    timed("events", () => events.render(d));
    timed("inspector", () => inspector.render(d));
    timed("controls", () => controls.update());
    timed("timeline", () => timelineView.render());
    timed("tour", () => tour.render());
    if (d.session || d.role || d.full) present.render();
    if (embedOpts.embed) renderEmbedBar(ctx);
  } else if (d.themeChanged) timelineView.draw();
  if (!firstRendered) {
    firstRendered = true;
    performance.mark("hl:first-render");
    root.dataset.ready = "true";
  }
}

// --- connection ------------------------------------------------------------------------

function setStatus(s, info) {
  ui.status = s;
  const el = $("#connection");
  const box = el.parentElement;
  box.dataset.status = s;
  el.textContent = s === "live" ? "live" : s === "offline"
    ? `offline · retry in ${Math.ceil((info?.retryInMs ?? 0) / 1000)} s` : s === "gone" ? "session gone" : "connecting…";
  if (s === "live") { banner(null); setTimeout(maybeOpen, 0); }
  else if (s === "offline" && store.loaded) {
    banner("The connection to the server is lost. The page reconnects by itself and resynchronises; what you see is the last state received.");
  }
  ctx.invalidate({ session: true });
}

function onSnapshot(msg) {
  const sig = JSON.stringify([msg.state.config, msg.state.zones.map((z) => [z.name, z.start_pfn, z.pages])]);
  const d = store.load(msg.state);
  stats.snapshots++;
  const before = ctx.timeline;
  const first = !ctx.session;
  const tl = msg.session.timeline ?? { cursor: msg.session.history_length, length: msg.session.history_length, branches: [] };
  const moved = !first && (tl.cursor !== before.cursor || tl.length !== before.length ||
    JSON.stringify(tl.branches) !== JSON.stringify(before.branches));
  ctx.timeline = { cursor: tl.cursor, length: tl.length, branches: tl.branches ?? [] };
  ctx.session = msg.session;
  $("#session-title").textContent = msg.session.title || msg.session.preset || msg.session.id;
  document.title = `Hinting Lab · ${msg.session.title || msg.session.id}`;
  if (sig !== machineSig) {
    machineSig = sig;
    if (!ui.zone || !store.zone(ui.zone)) ui.zone = store.zones.at(-1).name;
    ui.selection = null;
    ui.highlight = { pfns: new Set(), lists: new Set() };
    ui.expanded.clear();
    ui.dropped.clear();
    zoneView.build();
    freeArea.build();
    controls.build();
    host.reset();
    events.clear();
    if (msg.recent_events?.length && tl.cursor === tl.length) events.push(msg.recent_events, 0);
  } else if (moved) {
    // Time travel, undo, a branch or a reset rebuilt the machine: the log's later events no longer happened.
    events.clear();
    events.note(`at step ${tl.cursor} of ${tl.length}: the log starts again here`);
  } else if (first && msg.recent_events?.length && tl.cursor === tl.length) {
    events.push(msg.recent_events, 0);
  }
  // Only a controller can recreate its session after a restart: only it keeps the history.
  // A move along the same history (travel) keeps the copy it has.
  const sameHistory = hist.known && sig === machineSig && tl.length === before.length && hist.steps.length === tl.length &&
    JSON.stringify(tl.branches) === JSON.stringify(before.branches) && !first;
  if (storedToken(msg.session.id) && !sameHistory) hist.fetchFor(msg.session.id, msg.session.history_length);
  sessionChanged();
  pending = mergeDirty(newDirty(true), d);
  extra.timeline = true;
  schedule();
  maybeOpen();
}

/** The session info changed: its tour, the presenter's view. */
function sessionChanged() {
  const s = ctx.session;
  if (s?.preset) ui.linkTour = null;
  tour.sync(s?.preset || ui.linkTour || null);
  present.applySession();
}

// Deltas per second: above a few a second the page is "busy" (a workload or a
// fast clock) and per-block animations give way to the map's flashes.
const rate = { t: performance.now(), n: 0 };
function countDelta() {
  rate.n++;
  const now = performance.now();
  if (now - rate.t >= 1000) {
    const busy = (rate.n * 1000) / (now - rate.t) > 12;
    if (busy !== ui.busy) { ui.busy = busy; root.dataset.busy = String(busy); }
    rate.t = now;
    rate.n = 0;
  }
}

function onDelta(msg) {
  countDelta();
  const oldWork = store.hinting?.work;
  let d;
  const t0 = performance.now();
  try {
    d = store.apply(msg.changes);
    stats.deltas++;
    stats.applyMs += performance.now() - t0;
  } catch (err) {
    if (err instanceof StoreError) { stats.resyncs++; ctx.conn.resync(); return; }
    throw err;
  }
  trackDropped(oldWork, d);
  // Stepping through a cycle: show the zone being cycled.
  const work = store.hinting?.work;
  if (work?.zone && work.zone !== oldWork?.zone && store.config.hinting.stepping) ctx.actions.setZone(work.zone);
  mergeDirty(pending, d);
  if (msg.events?.length || msg.events_omitted) {
    events.push(msg.events ?? [], msg.events_omitted ?? 0);
    extra.events = true;
  }
  hist.record(msg.steps, msg.history_length); // fetches what running deltas left out
  const tl = msg.session?.timeline;
  const was = ctx.timeline;
  ctx.timeline = { cursor: msg.cursor ?? tl?.cursor ?? was.cursor, length: msg.history_length ?? tl?.length ?? was.length,
    branches: tl ? tl.branches : was.branches };
  if (ctx.timeline.cursor !== was.cursor || ctx.timeline.length !== was.length || tl) extra.timeline = true;
  if (msg.session) {
    ctx.session = msg.session;
    extra.session = true;
    sessionChanged();
  }
  schedule();
}

/** Blocks freed into the cycling zone while the work is stopped (the lock is dropped) get an underline. */
function trackDropped(oldWork, d) {
  const work = store.hinting?.work;
  if (!work) return;
  if (work.phase === "idle") {
    if (ui.dropped.size) { ui.dropped.clear(); extra.layout = true; }
    return;
  }
  if (!oldWork || oldWork.phase !== work.phase || oldWork.zone !== work.zone) return;
  const zd = d.zones.get(work.zone);
  const z = store.zone(work.zone);
  if (!zd || !z) return;
  for (const pfns of zd.inserted.values()) for (const p of pfns) if (!z.hinted.has(p)) ui.dropped.add(p);
}

function connect(id) {
  ctx.sessionId = id;
  const token = storedToken(id);
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  ctx.conn?.stop();
  ui.role = "viewer";
  const conn = new Connection({
    url: `${proto}//${location.host}/ws/${encodeURIComponent(id)}`,
    token,
    onStatus: setStatus,
    onSnapshot,
    onDelta,
    onAudience,
    onRole(role, owner, hello) {
      const was = ui.role;
      ui.role = role;
      ui.owner = !!owner;
      // Control handed over or taken back by the presenter (not our own auth).
      if (!hello && was !== role && !owner) {
        toast(role === "controller" ? "The presenter gave you control: act, travel, play the tour." : "The presenter took control back.");
      }
      ctx.invalidate({ role: true, session: true });
      maybeOpen();
    },
    onError(err) { if (err?.code !== "no_session") toast(err?.message ?? "server error"); },
    onGone: () => sessionGone(id, !!token),
  });
  ctx.conn = conn;
  conn.start();
}

/** The server no longer knows the session (it restarted, or the session expired): session.js recreates it. */
function sessionGone(id, wasController) {
  return restoreSession({
    wasController, hist, lastSession: ctx.session, banner, toast, esc, connect,
    waitLive: () => new Promise((r) => {
      const t = setInterval(() => { if (ui.role === "controller" && ui.status === "live") { clearInterval(t); r(); } }, 100);
    }),
    send: (msg, what) => controls.send(msg, what),
  });
}

/** The owner's audience list changed (joins, names, raised hands): only the owner is sent these. */
function onAudience(msg) {
  if (!ctx.session) return;
  ctx.session = { ...ctx.session, audience: msg.audience, viewers: msg.viewers, controllers: msg.controllers };
  extra.session = true;
  schedule();
}

// --- chrome ----------------------------------------------------------------------------

function banner(htmlText, bad = false) {
  const el = $("#banner");
  if (!htmlText) { el.hidden = true; return; }
  el.innerHTML = htmlText;
  el.classList.toggle("bad", bad);
  el.hidden = false;
}

let toastTimer = 0;
function toast(text) {
  const el = $("#toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 3500);
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") ctx.conn?.retryNow();
});

const waitFor = (pred, ms = 10000) => new Promise((resolve) => {
  const t0 = performance.now();
  const t = setInterval(() => { if (pred() || performance.now() - t0 > ms) { clearInterval(t); resolve(pred()); } }, 25);
});

/** Once the page controls its session: go to a permalink's step and view, start an embed's autoplay. */
let opened = false;
async function maybeOpen() {
  if (opened || !store.loaded || ui.status !== "live") return;
  const o = ctx.opening;
  if (!o && !autoplay) { opened = true; root.dataset.opened = "true"; return; }
  if (ui.role !== "controller") return;
  opened = true;
  if (o) {
    ctx.opening = null;
    if (o.view?.tour) { ui.linkTour = o.view.tour; await tour.sync(o.view.tour); }
    if (o.step !== ctx.timeline.cursor) {
      await controls.send({ type: "travel", to: o.step }, "timeline");
      await waitFor(() => ctx.timeline.cursor === o.step);
    }
    if (o.view) present.apply(o.view);
  }
  if (autoplay) {
    const s = ctx.session?.preset;
    if (s) await tour.sync(s);
    autoplay.start();
  }
  root.dataset.opened = "true";
}

/** A permalink: #p=<code> on any page, or /l/<id> (a stored one). */
async function linkPayload() {
  const code = codeFromHash(location.hash);
  if (code) return decodePayload(code);
  const m = location.pathname.match(/^\/l\/([A-Za-z0-9_-]+)\/?$/);
  if (!m) return null;
  let res;
  try { res = await fetch(`/api/links/${m[1]}`); } catch { throw new Error("the server cannot be reached"); }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error?.message ?? `no stored link ${m[1]}`);
  return checkPayload(data);
}

async function boot() {
  let id = sessionIdFromPath();
  let payload = null;
  try {
    payload = await linkPayload();
  } catch (err) {
    banner(`This link cannot be opened: ${esc(err.message)}. <button class="btn small" id="new-session">Start a new session</button>`, true);
    $("#new-session")?.addEventListener("click", () => { location.href = "/"; });
    return;
  }
  if (payload) {
    try {
      const s = await createSession({ scenario: payload.scenario });
      id = s.id;
      storeToken(id, s.control_token);
      ctx.opening = { step: payload.step, view: payload.view };
      showSessionUrl(id);
    } catch (err) {
      banner(`The link's scenario was refused: ${esc(err.field ? `${err.field}: ` : "")}${esc(err.message)}`, true);
      return;
    }
  }
  if (!id) {
    const preset = new URLSearchParams(location.search).get("preset") || "default";
    for (let attempt = 0; !id; attempt++) {
      try {
        // The first try was started by index.html while the modules loaded.
        const early = attempt === 0 && window.__hlSession
          ? await window.__hlSession.catch(() => null) : null;
        if (early && !early.ok) throw early.data.error ?? { code: "failed", message: "could not create a session" };
        const s = early ? early.data : await createSession({ preset });
        id = s.id;
        storeToken(id, s.control_token);
        showSessionUrl(id);
      } catch (err) {
        setStatus("offline", { retryInMs: 1000 * Math.min(5, attempt + 1) });
        if (err.code !== "offline") { banner(`Could not start a session: ${esc(err.message)}`, true); return; }
        await new Promise((r) => setTimeout(r, 1000 * Math.min(5, attempt + 1)));
      }
    }
  }
  connect(id);
}

// A handle for tests, benchmarks and the curious (read-only by convention).
window.hintingLab = { store, ui, ctx, memmap, events, hist, stats, tour, timeline: timelineView, present, share };

boot();
