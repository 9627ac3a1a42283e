// Wiring: the session, the connection, the store, the views, one render per
// animation frame (frame.js); the page's copy of the session is kept by
// sync.js, what views and keys ask for by actions.js.  A session lost to a
// server restart is recreated here from its history.

import { makeActions } from "./actions.js";
import { Connection } from "./connection.js";
import { Controls } from "./controls.js";
import { Autoplay, parseEmbed, renderEmbedBar } from "./embed.js";
import { Frames } from "./frame.js";
import { checkPayload, codeFromHash, decodePayload } from "./permalink.js";
import { Present, askToken } from "./present.js";
import { History, createSession, restoreSession, sessionIdFromPath, showSessionUrl, storeToken, storedToken } from "./session.js";
import { Store } from "./store.js";
import { Sync } from "./sync.js";
import { TimelineView } from "./timeline.js";
import { Tour } from "./tour.js";
import { $, esc, needLayouts } from "./util.js";
import { BatchView } from "./views/batch.js";
import { EventsView } from "./views/events.js";
import { ExplainView } from "./views/explain.js";
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
const presenterWindow = new URLSearchParams(location.search).get("presenter") === "1";
// A narrow screen is a phone in the audience: one column (app.css), rows folded (views/freearea.js).
const phone = matchMedia("(max-width: 600px)");
const setPhone = () => { if (phone.matches) { needLayouts(); root.dataset.phone = "1"; } else delete root.dataset.phone; };
setPhone();
const store = new Store();
const hist = new History();
// Where the time goes, per view (read by bench/dashboard_bench.py).
const stats = { frames: 0, deltas: 0, snapshots: 0, resyncs: 0, applyMs: 0, views: {} };

const ctx = {
  store, ui, hist, session: null, sessionId: null, conn: null,
  timeline: { cursor: 0, length: 0, branches: [], start: 0 }, // where the session is in its history
  opening: null, // {step, view} of a permalink, applied once the page controls its session
  toast,
  maybeOpen,
};
const frames = new Frames(ctx, stats);
ctx.invalidate = (flags) => frames.invalidate(flags);
ctx.actions = makeActions(ctx);

// --- views -------------------------------------------------------------------------------

const zoneView = new ZoneView(ctx);
const freeArea = new FreeAreaView(ctx);
const batch = new BatchView(ctx);
const memmap = new MemMapView(ctx);
const host = new HostView(ctx);
const events = new EventsView(ctx);
const explain = new ExplainView(ctx);
const inspector = new InspectorView(ctx);
const controls = new Controls(ctx);
const tour = new Tour(ctx);
const timelineView = new TimelineView(ctx);
const present = new Present(ctx);
// Sharing and exporting (the X dialog, C) and the Tours menu load on first use: the page stays light.
const lazy = (load) => { let p = null; return () => (p ??= load()); };
const shareNow = lazy(() => import("./share.js").then((m) => new m.Share(ctx)));
const share = { copyLink: async () => (await shareNow()).copyLink(), open: async () => (await shareNow()).open() };
$("#copy-link").addEventListener("click", () => share.copyLink());
$("#export-open").addEventListener("click", () => share.open());
const toursNow = lazy(() => import("./toursmenu.js").then((m) => new m.ToursMenu(ctx)));
$("#tours-open").addEventListener("click", async () => (await toursNow()).toggle());
// The page panel (pagepanel/): on the first block the user selects (inputAt: not a presenter's), or ?page=PFN.
for (const t of ["pointerdown", "keydown"]) addEventListener(t, () => { ctx.inputAt = performance.now(); }, true);
const pp = () => import("./pagepanel/index.js").then((m) => m.install(ctx));
document.addEventListener("hl:block-select", (e) => { const t = performance.now(); ctx.pagePanel || pp().then((p) => p.open(e.detail, t)); });
if (/[?&]page=/.test(location.search)) pp().then((p) => p.fromQuery(new URLSearchParams(location.search)));
const autoplay = embedOpts.autoplay ? new Autoplay(ctx, embedOpts) : null;
Object.assign(ctx, { controls, events, memmap, tour, timelineView, present, share, autoplay, zoneView, freeArea, host });
ctx.views = { zone: zoneView, freeArea, batch, memmap, host, events, explain, inspector };
ctx.afterFrame = () => { if (embedOpts.embed) renderEmbedBar(ctx); };
const sync = new Sync(ctx, frames, stats);
const pair = (m) => (m.pair || ctx.cmp || store.hinting?.costs?.lock?.holds || /compare=/.test(location.search)) &&
  (ctx.cmp ??= import("./compare/hook.js")).then((h) => h.onMessage(ctx, m));
phone.addEventListener("change", () => { setPhone(); ctx.invalidate({ modeChanged: true, layout: true, full: true }); });
$("#reset-preset").addEventListener("change", (e) => { e.target.dataset.touched = "1"; });
$("#workload-live").addEventListener("input", (e) => { e.target.dataset.touched = "1"; });

// --- connection ------------------------------------------------------------------------

function setStatus(s, info) {
  ui.status = s;
  const el = $("#connection");
  const box = el.parentElement;
  box.dataset.status = s;
  el.textContent = s === "live" ? "live" : s === "offline"
    ? `offline · retry in ${Math.ceil((info?.retryInMs ?? 0) / 1000)} s` : s === "gone" ? "session gone"
      : s === "none" ? "no session" : "connecting…";
  if (s === "live") { banner(null); setTimeout(maybeOpen, 0); }
  else if (s === "offline" && store.loaded) {
    banner("The connection to the server is lost. The page reconnects by itself and resynchronises; what you see is the last state received.");
  }
  ctx.invalidate({ session: true });
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
    onSnapshot: (msg) => { sync.onSnapshot(msg); pair(msg); },
    onDelta: (msg) => { sync.onDelta(msg); pair(msg); },
    onAudience,
    onRole(role, owner, hello) {
      const was = ui.role;
      ui.role = role;
      ui.owner = !!owner;
      root.dataset.role = role;
      // Control handed over or taken back by the presenter (not our own auth).
      if (!hello && was !== role && !owner) {
        toast(role === "controller" ? "The presenter shares control with you: act, travel, play the tour (they can too)."
          : "The presenter took control back.");
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
  frames.invalidate({ session: true });
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
    fail(`This link cannot be opened: ${esc(err.message)}.`);
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
      if (err.code === "offline") fail("The server cannot be reached to open this link: is it running? Reload to try again.");
      else fail(`The link's scenario was refused: ${esc(err.field ? `${err.field}: ` : "")}${esc(err.message)}`);
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
        // The server answered "no": say why, and do not pretend to retry.
        if (err.code !== "offline") {
          fail(`Could not start a session: ${esc(err.field ? `${err.field}: ` : "")}${esc(err.message)}.` +
            (err.field === "preset" ? " <a href=\"/\">Start the default preset</a>, or choose a tour from its Tours menu." : ""));
          return;
        }
        setStatus("offline", { retryInMs: 1000 * Math.min(5, attempt + 1) });
        await new Promise((r) => setTimeout(r, 1000 * Math.min(5, attempt + 1)));
      }
    }
  }
  // A speaker-notes window opened by hand: the session's page in this browser lends it the control token.
  if (presenterWindow && !storedToken(id) && !(await askToken(id))) {
    toast("These notes only watch: open them from the Present dialog (Q) of the presenting page to drive the talk from here.");
  }
  connect(id);
}

/** Nothing to connect to: say why, once, with a way on. */
function fail(html) {
  setStatus("none");
  banner(`${html} <button class="btn small" id="new-session">Start a new session</button>`, true);
  $("#new-session")?.addEventListener("click", () => { location.href = "/"; });
}

// A handle for tests, benchmarks and the curious (read-only by convention).
window.hintingLab = { store, ui, ctx, memmap, events, hist, stats, tour, timeline: timelineView, present, share };

boot();
