// The host's zones in the shape the dashboard's views read (views/memmap.js),
// so the live map is drawn by the same renderer as the simulated zones.
//
// A hinting-host/1 zone has per-page codes from /proc/kpageflags (core/kpageflags.py);
// they are translated to the store's page codes: free -> free, Reported -> the
// Hinted hatching (5.7's Reported is the seed's Hinted, merged upstream), kernel
// pages -> the Unmovable colour, page cache and user pages -> Movable, offline
// (ballooned, unplugged) -> the in-flight dots (memory handed to the host), and
// everything else (other allocations, holes, per-cpu, unread) -> grey.
//
// This file is the only place that knows the renderer's inputs: when the
// views change shape, only this adapter follows.

import { PAGE_ALLOC, PAGE_FREE, PAGE_HINTED, PAGE_INFLIGHT } from "../store.js";

// core/kpageflags.py: FREE, REPORTED, KERNEL, USER, OTHER, OFFLINE, HOLE, UNREAD, PCP
const GREY = PAGE_ALLOC + 6; // no migratetype colour: the renderer falls back to --ink-3
export const HOST_TO_STORE = [PAGE_FREE, PAGE_HINTED, PAGE_ALLOC + 0, PAGE_ALLOC + 1, GREY, PAGE_INFLIGHT, GREY, GREY, GREY];
export const CODE_LABELS = ["free", "free, Reported", "kernel (slab, page tables, reserved)", "page cache and user",
  "other allocated", "offline (given to the host)", "hole (no struct page)", "not read", "refcount 0, not buddy (per-cpu lists)"];

// procfs gives pageblock migratetypes as counts only: no stripe under the rows, and the tooltip says so.
const UNKNOWN_PAGEBLOCKS = new Proxy([], {
  get(target, key) {
    if (typeof key === "string" && /^\d+$/.test(key)) return "migratetype not known per pageblock";
    return target[key];
  },
});

/** Inflate a zlib+base64 map into per-page host codes (DecompressionStream: no library). */
export async function inflate(b64) {
  const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const stream = new Blob([bin]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A store look-alike over the host's zones (only what the map renderer and its tooltip ask). */
export class HostStore {
  constructor() {
    this.loaded = false;
    this.zones = [];
    this.byName = new Map();
    this.config = { max_order: 11, pageblock_order: 9, hinting: { min_order: 9 } };
    this.hinting = { batch: [] };
    this.anomalies = [];
  }

  /** Take a hinting-host/1 document; zones keep their names, maps are inflated. */
  async load(doc) {
    this.doc = doc;
    this.config = { max_order: doc.max_order ?? 11, pageblock_order: doc.pageblock_order ?? 9, hinting: { min_order: 9 } };
    const zones = [];
    for (const z of doc.zones) {
      const start = z.map?.start_pfn ?? z.start_pfn ?? 0;
      const pages = z.map?.pages ?? z.spanned;
      const host = z.map ? await inflate(z.map.codes) : new Uint8Array(pages).fill(7);
      const page = new Uint8Array(pages);
      for (let i = 0; i < pages; i++) page[i] = HOST_TO_STORE[host[i]] ?? GREY;
      zones.push({
        name: z.name, start, pages, end: start + pages, host, page,
        nonres: new Uint8Array(pages), pageblocks: UNKNOWN_PAGEBLOCKS, alloc: new Map(), lists: new Map(), hinted: new Set(),
        info: z,
      });
    }
    this.zones = zones;
    this.byName = new Map(zones.map((z) => [z.name, z]));
    this.loaded = true;
  }

  zone(name) { return this.byName.get(name); }

  zoneOfPfn(pfn) {
    for (const z of this.zones) if (pfn >= z.start && pfn < z.end) return z;
    return null;
  }

  /** The run of equal host code around pfn, as a "block" the tooltip can name. */
  blockAt(pfn) {
    const z = this.zoneOfPfn(pfn);
    if (!z) return null;
    const i = pfn - z.start;
    const code = z.host[i];
    let a = i;
    let b = i;
    while (a > 0 && z.host[a - 1] === code && i - a < 4096) a--;
    while (b + 1 < z.pages && z.host[b + 1] === code && b - i < 4096) b++;
    return { zone: z.name, pfn: z.start + a, order: 0, run: b - a + 1, kind: code <= 1 ? "free" : "allocated",
      mt: CODE_LABELS[code], hinted: code === 1, code };
  }

  nonresidentIn() { return 0; }
  isResident() { return true; }
}

/** The ctx the dashboard's views expect, for a read-only host page. */
export function hostCtx(store, onInvalidate) {
  const ctx = {
    store,
    ui: { zone: null, highlight: { pfns: new Set(), lists: new Set() }, projector: false, role: "viewer", busy: false },
    actions: {
      selectBlock() {}, free() {}, setZone(name) { ctx.ui.zone = name; ctx.invalidate({ zoneChanged: true }); },
    },
    invalidate: (flags) => onInvalidate(flags ?? {}),
  };
  return ctx;
}

/** A full dirty record for the renderer (views/memmap.js reads these keys). */
export function fullDirty() {
  return { full: true, zones: new Map(), boundary: new Set(), batch: false, zoneChanged: true, themeChanged: false };
}
