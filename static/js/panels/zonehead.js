// The zone header's model: lamps, refcnt, the work's state in words, the due
// countdown, the zone's figures; and what the next step will do.  The live
// header (views/zone.js), the explainer and the SVG export draw from it, in
// the words of the session's design (terms.js).

import { terms } from "../terms.js";

/**
 * The REQUESTED/ACTIVE pair a zone shows.  The seed keeps them per zone
 * (zone->flags); free page reporting has none per zone, only its device's
 * prdev->state, which every zone then shows (`device: true` says so).
 */
export function zoneFlags(store, z) {
  if (z.flags) return { requested: !!z.flags.requested, active: !!z.flags.active, device: false };
  const st = store.hinting?.state ?? "idle";
  return { requested: st === "requested", active: st === "active", device: true };
}

/** Everything the header of zone `z` says. */
export function zoneHeadModel(store, z) {
  const h = store.hinting ?? {};
  const work = h.work ?? { pending: false, phase: "idle", due_ms: null, zone: null };
  const cfg = store.config.hinting;
  const t = terms(store);
  const cycling = work.zone === z.name;
  const phase = work.phase ?? "idle";
  let words;
  let note = "";
  let key = phase;
  if (phase !== "idle") { // stopped before the host (react, report) or the drain
    words = `stopped before ${phase}`;
    // reporting stops in a list's cycle (its budget then) or at a zone's leftover
    const at = work.order === null || work.order === undefined ? "cycling this zone"
      : `o${work.order} ${work.migratetype} · budget ${work.budget}`;
    note = cycling ? `${at} · the zone lock is dropped` : `cycling ${work.zone}`;
  } else if (work.pending) {
    words = "pending";
    key = "pending";
    note = `${t.process} runs @ ${fmt1(work.due_ms)} ms`;
  } else {
    words = h.enabled ? "idle" : "idle · hinting off";
    key = "idle";
  }
  const now = store.now_ms ?? 0;
  let due;
  if (work.pending && work.due_ms !== null && work.due_ms !== undefined && phase === "idle") {
    const left = Math.max(0, work.due_ms - now);
    due = { kind: "pending", left, at: work.due_ms, remaining: cfg.delay_ms ? Math.min(1, left / cfg.delay_ms) : 0 };
  } else if (phase !== "idle") {
    due = { kind: "running", at: work.pending ? work.due_ms : null };
  } else {
    due = { kind: "idle", delay: cfg.delay_ms };
  }
  return {
    name: z.name, start: z.start, last: z.start + z.pages - 1,
    ...(({ requested, active, device }) => ({ requested, active, deviceFlags: device }))(zoneFlags(store, z)), refcnt: h.refcnt ?? 0, enabled: !!h.enabled,
    work: { key, words, note, phase, cycling, zone: work.zone ?? null },
    due, stepping: !!cfg.stepping,
    free: store.freePages(z), hinted: store.markedField === "reported" ? markedPages(z) : store.hintedPageCount(z),
    batch: (h.batch ?? []).filter((b) => b.pfn >= z.start && b.pfn < z.start + z.pages).length,
    cfg: { min_order: cfg.min_order, hwm: cfg.hwm, capacity: cfg.capacity, delay_ms: cfg.delay_ms },
    state: h.state ?? null, // reporting's prdev->state
    anomalies: (store.anomalies ?? []).filter((a) => a.zone === z.name || a.zone === null).length,
  };
}

/** Pages in the zone's marked free blocks, for a design that keeps no per-order count (reporting). */
function markedPages(z) {
  let n = 0;
  for (const p of z.hinted) {
    const key = z.freeIndex.get(p);
    if (key !== undefined) n += 1 << +key.slice(0, key.indexOf("/"));
  }
  return n;
}

/** What the next Step (S) does, in one sentence; `due` the model's due. */
export function nextStep(store) {
  const h = store.hinting ?? {};
  const work = h.work ?? {};
  const batch = h.batch ?? [];
  const t = terms(store);
  const pages = batch.reduce((s, b) => s + (1 << b.order), 0);
  if (work.phase === t.host) {
    return `${t.host}: the host drops the batch's ${pages} page${pages === 1 ? "" : "s"} (${batch.length} block` +
      `${batch.length === 1 ? "" : "s"}); allocs and frees go on meanwhile, the zone lock is dropped`;
  }
  if (work.phase === "drain") return t.drainNext;
  if (work.pending && work.due_ms !== null && work.due_ms !== undefined) {
    const left = Math.max(0, work.due_ms - (store.now_ms ?? 0));
    return left > 0
      ? `${t.process} is due @ ${fmt1(work.due_ms)} ms, in ${fmt1(left)} ms: Step advances the clock to it and runs it`
      : `${t.process} is due now: Step runs it`;
  }
  if (!h.enabled) return t.off;
  return t.idle(store.config.hinting);
}

/** The step a Step (S) press should send: an advance to the due time when work waits for it, else `step`. */
export function stepRequest(store) {
  const work = store.hinting?.work ?? {};
  const left = work.pending && work.phase === "idle" && work.due_ms !== null && work.due_ms !== undefined
    ? work.due_ms - (store.now_ms ?? 0) : 0;
  return left > 0 ? { do: "advance", ms: Math.ceil(left) } : { do: "step" };
}

function fmt1(t) {
  if (t === null || t === undefined) return "—";
  const v = Math.round(t * 10);
  return `${v < 0 ? "-" : ""}${String(Math.floor(Math.abs(v) / 10)).replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${Math.abs(v) % 10}`;
}
