// The page's copy of the session, kept in step with the server: snapshots
// (a new machine, or one rebuilt by time travel) and deltas (what changed),
// the session's info, the history kept for a restore, and the event log.

import { StoreError } from "./store.js";
import { storedToken } from "./session.js";
import { $ } from "./util.js";

const BUSY_DELTAS_PER_S = 12;

export class Sync {
  constructor(ctx, frames, stats) {
    this.ctx = ctx;
    this.frames = frames;
    this.stats = stats;
    this.machineSig = "";
    this.rate = { t: performance.now(), n: 0 };
  }

  onSnapshot(msg) {
    const { ctx } = this;
    const { store, ui, hist, events } = ctx;
    const sig = JSON.stringify([msg.state.config, msg.state.zones.map((z) => [z.name, z.start_pfn, z.pages])]);
    const d = store.load(msg.state);
    this.stats.snapshots++;
    const before = ctx.timeline;
    const first = !ctx.session;
    const tl = msg.session.timeline ?? { cursor: msg.session.history_length, length: msg.session.history_length, branches: [] };
    const moved = !first && (tl.cursor !== before.cursor || tl.length !== before.length ||
      JSON.stringify(tl.branches) !== JSON.stringify(before.branches));
    ctx.timeline = { cursor: tl.cursor, length: tl.length, branches: tl.branches ?? [], start: tl.start ?? 0 };
    ctx.session = msg.session;
    $("#session-title").textContent = msg.session.title || msg.session.preset || msg.session.id;
    document.title = `Hinting Lab · ${msg.session.title || msg.session.id}`;
    const atEnd = tl.cursor === tl.length;
    if (sig !== this.machineSig) {
      this.machineSig = sig;
      if (!ui.zone || !store.zone(ui.zone)) ui.zone = store.zones.at(-1).name;
      ui.selection = null;
      ui.highlight = { pfns: new Set(), lists: new Set() };
      ui.expanded.clear();
      ui.dropped.clear();
      ctx.zoneView.build();
      ctx.freeArea.build();
      ctx.controls.build();
      ctx.host.reset();
      events.clear();
      if (!atEnd) events.travelled(tl.cursor, tl.length);
      else if (msg.recent_events?.length) events.push(msg.recent_events, 0);
      else if (tl.cursor > 0) events.recent(tl.cursor);
    } else if (moved) {
      // Time travel, undo, a branch or a reset rebuilt the machine: the log shows the steps around the position.
      events.travelled(tl.cursor, tl.length);
    } else if (first && msg.recent_events?.length && atEnd) {
      events.push(msg.recent_events, 0);
    }
    // Only a controller can recreate its session after a restart: only it keeps the history.
    // A move along the same history (travel) keeps the copy it has.
    const sameHistory = hist.known && tl.length === before.length && hist.steps.length === tl.length &&
      JSON.stringify(tl.branches) === JSON.stringify(before.branches) && !first;
    if (storedToken(msg.session.id) && !sameHistory) hist.fetchFor(msg.session.id, msg.session.history_length);
    this.sessionChanged();
    this.frames.merge(d, true);
    this.frames.invalidate({ timeline: true });
    ctx.maybeOpen();
  }

  /** The session info changed: its tour, the presenter's view, whether it runs. */
  sessionChanged() {
    const { ctx } = this;
    const s = ctx.session;
    if (s?.preset) ctx.ui.linkTour = null;
    ctx.tour.sync(s?.preset || ctx.ui.linkTour || null);
    ctx.present.applySession();
    const running = !!(s?.clock?.running || s?.workload?.running);
    ctx.events.runState(running);
    // Stopped: no more deltas will say the page is no longer busy, so say it now.
    if (!running && ctx.ui.busy) { ctx.ui.busy = false; document.documentElement.dataset.busy = "false"; }
  }

  // Deltas per second: above a few a second the page is "busy" (a workload or a
  // fast clock) and per-block animations give way to the map's flashes.
  countDelta() {
    const rate = this.rate;
    rate.n++;
    const now = performance.now();
    if (now - rate.t >= 1000) {
      const busy = (rate.n * 1000) / (now - rate.t) > BUSY_DELTAS_PER_S;
      if (busy !== this.ctx.ui.busy) { this.ctx.ui.busy = busy; document.documentElement.dataset.busy = String(busy); }
      rate.t = now;
      rate.n = 0;
    }
  }

  onDelta(msg) {
    const { ctx } = this;
    const { store, events } = ctx;
    this.countDelta();
    const oldWork = store.hinting?.work;
    let d;
    const t0 = performance.now();
    try {
      d = store.apply(msg.changes);
      this.stats.deltas++;
      this.stats.applyMs += performance.now() - t0;
    } catch (err) {
      if (err instanceof StoreError) { this.stats.resyncs++; ctx.conn.resync(); return; }
      throw err;
    }
    this.trackDropped(oldWork, d);
    // Stepping through a cycle: show the zone being cycled.
    const work = store.hinting?.work;
    if (work?.zone && work.zone !== oldWork?.zone && store.config.hinting.stepping) ctx.actions.setZone(work.zone);
    this.frames.merge(d);
    const tl = msg.session?.timeline;
    const was = ctx.timeline;
    ctx.timeline = { cursor: msg.cursor ?? tl?.cursor ?? was.cursor, length: msg.history_length ?? tl?.length ?? was.length,
      branches: tl ? tl.branches : was.branches, start: tl?.start ?? was.start };
    if (msg.events?.length || msg.events_omitted || msg.steps_omitted) {
      events.push(msg.events ?? [], msg.events_omitted ?? 0, was.cursor, msg.steps_omitted ?? 0);
      this.frames.invalidate({ events: true });
    }
    // Forward along the kept history (travel on the live machine): the log follows the position.
    if (ctx.timeline.cursor < ctx.timeline.length && ctx.timeline.cursor !== was.cursor) {
      events.travelled(ctx.timeline.cursor, ctx.timeline.length);
    }
    ctx.hist.record(msg.steps, msg.history_length); // fetches what running deltas left out
    if (ctx.timeline.cursor !== was.cursor || ctx.timeline.length !== was.length || tl) this.frames.invalidate({ timeline: true });
    if (msg.session) {
      ctx.session = msg.session;
      this.frames.invalidate({ session: true });
      this.sessionChanged();
    }
  }

  /** Blocks freed into the cycling zone while the work is stopped (the lock is dropped) get an underline. */
  trackDropped(oldWork, d) {
    const { store, ui } = this.ctx;
    const work = store.hinting?.work;
    if (!work) return;
    if (work.phase === "idle") {
      if (ui.dropped.size) { ui.dropped.clear(); this.frames.invalidate({ layout: true }); }
      return;
    }
    if (!oldWork || oldWork.phase !== work.phase || oldWork.zone !== work.zone) return;
    const zd = d.zones.get(work.zone);
    const z = store.zone(work.zone);
    if (!zd || !z) return;
    for (const pfns of zd.inserted.values()) for (const p of pfns) if (!z.hinted.has(p)) ui.dropped.add(p);
  }
}
