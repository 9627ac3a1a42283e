// The dashboard's copy of the machine: a hinting-state/1 snapshot moved along
// by deltas, exactly as core/delta.py `apply_delta` moves a state document.
//
// The state is held in indexed form (maps and typed arrays) rather than as the
// document itself, because a 1 GiB zone under a 1,000 steps/s workload gets
// ~60 deltas a second and the document's sorted arrays would be rebuilt on
// each.  `toDocument()` gives the document back, and the unit tests compare
// it with the Python reference after every delta.
//
// `apply()` also says what changed (a "dirty" record) so the views redraw only
// the lists, zones and pages that moved, and keeps a per-page state array for
// the memory map.
//
// Both designs are held the same way: the design's list of marked blocks (the
// seed's `hinted`, free page reporting's `reported`) is `z.hinted` here, and
// painted PAGE_HINTED; `markedField` says which name the document uses.  A
// delta's `costs` carries the changed keys of `hinting.costs` (core/delta.py).

import { MIGRATETYPES, MT_INDEX } from "./palette.js";

export { MIGRATETYPES, MT_INDEX };

// Per-page codes of the memory map.  Allocated pages are ALLOC + migratetype
// index; every page is in exactly one block, so one code per page suffices.
export const PAGE_FREE = 0;
export const PAGE_ALLOC = 1; // 1..5: allocated, by migratetype
export const PAGE_HINTED = 8;
export const PAGE_INFLIGHT = 9;

const ZONE_KEYS = new Set([
  "name", "start_pfn", "pages", "nr_free_pages", "batch_pages", "flags", "hinted_pages", "free_area", "hinted",
  "reported", "pageblocks", "allocated", "nonresident",
]);
// Zone keys of a delta that apply() handles one by one; any other is a field sent whole.
const ZONE_CHANGE_KEYS = new Set([
  "lists", "nr_free", "hinted", "reported", "allocated", "residency", "pageblocks", "flags", "hinted_pages",
  "nr_free_pages", "batch_pages",
]);
// The zone field listing a design's marked blocks (docs/designs.md, `marked_field`).
export const MARKED_FIELD = { seed: "hinted", reporting: "reported" };

/** The marked field of a hinting-state/1 document: by its design, else by what its zones carry. */
export function markedFieldOf(doc) {
  const byDesign = MARKED_FIELD[doc.config?.hinting?.design ?? "seed"];
  if (byDesign) return byDesign;
  return doc.zones?.[0] && "reported" in doc.zones[0] ? "reported" : "hinted";
}
const TOP_KEYS = new Set(["format", "now_ms", "config", "zones", "hinting", "host", "anomalies"]);

export class StoreError extends Error {}

/** A fresh record of what changed; views merge these until the next frame. */
export function newDirty(full = false) {
  return {
    full, now: full, stepping: full, hinting: full, costs: full, host: full, anomalies: full, batch: full,
    boundary: new Set(), // "zone|order/mt" cells whose boundary marker moved
    zones: new Map(),    // name -> zone dirty
  };
}

function zoneDirty(d, name) {
  let z = d.zones.get(name);
  if (!z) {
    z = { lists: new Set(), inserted: new Map(), nrFree: false, freePages: false, flags: false, hintedPages: false,
      pageblocks: false, residency: false, map: false, spans: [] };
    d.zones.set(name, z);
  }
  return z;
}

/** Fold `src` into `dst` (both dirty records); returns dst. */
export function mergeDirty(dst, src) {
  for (const k of ["full", "now", "stepping", "hinting", "costs", "host", "anomalies", "batch"]) dst[k] = dst[k] || src[k];
  for (const b of src.boundary) dst.boundary.add(b);
  for (const [name, s] of src.zones) {
    const z = zoneDirty(dst, name);
    for (const k of s.lists) z.lists.add(k);
    for (const [k, pfns] of s.inserted) {
      const into = z.inserted.get(k);
      if (into) for (const p of pfns) into.add(p);
      else z.inserted.set(k, new Set(pfns));
    }
    for (const k of ["nrFree", "freePages", "flags", "hintedPages", "pageblocks", "residency", "map"]) z[k] = z[k] || s[k];
    if (z.spans.length < 4096) z.spans.push(...s.spans);
  }
  return dst;
}

const orderOfKey = (key) => +key.slice(0, key.indexOf("/"));
const mtOfKey = (key) => key.slice(key.indexOf("/") + 1);

export class Store {
  constructor() {
    this.loaded = false;
    this.zones = [];
    this.byName = new Map();
  }

  // --- snapshot ----------------------------------------------------------------

  /** Take a whole hinting-state/1 document (a snapshot). */
  load(doc) {
    this.format = doc.format;
    this.now_ms = doc.now_ms;
    this.config = structuredClone(doc.config);
    this.markedField = markedFieldOf(doc);
    this.hinting = doc.hinting;
    this.host = doc.host;
    this.anomalies = doc.anomalies;
    this.extra = {};
    for (const k of Object.keys(doc)) if (!TOP_KEYS.has(k)) this.extra[k] = doc[k];
    this.zones = doc.zones.map((z) => this._loadZone(z));
    this.byName = new Map(this.zones.map((z) => [z.name, z]));
    this._indexBatch();
    for (const z of this.zones) this._rebuildPages(z);
    this.loaded = true;
    return newDirty(true);
  }

  _loadZone(zd) {
    const z = {
      name: zd.name,
      start: zd.start_pfn,
      pages: zd.pages,
      end: zd.start_pfn + zd.pages,
      nrFreePages: zd.nr_free_pages,
      batchPages: zd.batch_pages,
      flags: zd.flags,
      hintedPages: zd.hinted_pages,
      nrFree: zd.free_area.map((a) => a.nr_free),
      listKeys: zd.free_area.map((a) => Object.keys(a.free_list)),
      lists: new Map(),
      freeIndex: new Map(),
      hinted: new Set(zd[this.markedField] ?? []),
      alloc: new Map(),
      pageblocks: zd.pageblocks.slice(),
      nonres: new Uint8Array(zd.pages),
      nonresCount: 0,
      page: new Uint8Array(zd.pages),
      extra: {},
    };
    for (const k of Object.keys(zd)) if (!ZONE_KEYS.has(k)) z.extra[k] = zd[k];
    for (const area of zd.free_area) {
      for (const [mt, pfns] of Object.entries(area.free_list)) {
        const key = `${area.order}/${mt}`;
        z.lists.set(key, pfns.slice());
        for (const p of pfns) z.freeIndex.set(p, key);
      }
    }
    for (const a of zd.allocated) z.alloc.set(a.pfn, { order: a.order, mt: a.migratetype });
    for (const [start, count] of zd.nonresident ?? []) {
      z.nonres.fill(1, start - z.start, start - z.start + count);
    }
    z.nonresCount = countOnes(z.nonres);
    return z;
  }

  _indexBatch() {
    this.batchIndex = new Map();
    (this.hinting?.batch ?? []).forEach((b, i) => this.batchIndex.set(b.pfn, { ...b, sg: i }));
  }

  /** Recompute a zone's page codes from scratch (snapshots, and tests). */
  _rebuildPages(z) {
    const page = z.page;
    page.fill(PAGE_FREE);
    for (const [pfn, a] of z.alloc) fillBlock(z, pfn, a.order, PAGE_ALLOC + (MT_INDEX[a.mt] ?? 1));
    for (const p of z.hinted) {
      const key = z.freeIndex.get(p);
      if (key !== undefined) fillBlock(z, p, orderOfKey(key), PAGE_HINTED);
    }
    for (const b of this.hinting?.batch ?? []) {
      if (b.pfn >= z.start && b.pfn < z.end) fillBlock(z, b.pfn, b.order, PAGE_INFLIGHT);
    }
  }

  zone(name) { return this.byName.get(name); }

  zoneOfPfn(pfn) {
    for (const z of this.zones) if (pfn >= z.start && pfn < z.end) return z;
    return null;
  }

  // --- deltas ------------------------------------------------------------------

  /**
   * Apply one delta's `changes` (core/delta.py format).  Throws StoreError when
   * the delta does not fit the state (the caller resynchronises).
   */
  apply(changes) {
    if (!this.loaded) throw new StoreError("no snapshot yet");
    const d = newDirty();
    if ("now_ms" in changes) { this.now_ms = changes.now_ms; d.now = true; }
    if ("stepping" in changes) { this.config.hinting.stepping = changes.stepping; d.stepping = true; }

    // Page codes: first clear what blocks left, then paint what blocks arrived,
    // so a page that changed hands ends with its new holder's code whatever the
    // order of the changes inside the delta.
    const clears = []; // [zone, pfn, order]
    const paints = []; // [zone, pfn, order, code | -1 (free or hinted, decided at paint time)]

    const zc = changes.zones ?? {};
    for (const z of this.zones) {
      const c = zc[z.name];
      if (!c) continue;
      const zd = zoneDirty(d, z.name);
      if (c.lists) this._applyLists(z, c.lists, zd, clears, paints);
      if (c.nr_free) {
        for (const [o, n] of Object.entries(c.nr_free)) z.nrFree[+o] = n;
        zd.nrFree = true;
      }
      const marked = c[this.markedField];
      if (marked) {
        for (const p of marked.add) z.hinted.add(p);
        for (const p of marked.del) z.hinted.delete(p);
        for (const p of [...marked.add, ...marked.del]) {
          const key = z.freeIndex.get(p);
          if (key !== undefined) { zd.lists.add(key); paints.push([z, p, orderOfKey(key), -1]); }
        }
      }
      if (c.allocated) {
        for (const p of c.allocated.del) {
          const a = z.alloc.get(p);
          if (a) { clears.push([z, p, a.order]); z.alloc.delete(p); }
        }
        for (const [p, order, mt] of c.allocated.add) {
          z.alloc.set(p, { order, mt });
          paints.push([z, p, order, PAGE_ALLOC + (MT_INDEX[mt] ?? 1)]);
        }
        zd.map = true;
      }
      if (c.residency) {
        for (const [op, pfn, count] of c.residency) {
          const from = Math.max(0, pfn - z.start);
          const to = Math.min(z.pages, pfn - z.start + count);
          if (to <= from) continue;
          const was = countOnes(z.nonres, from, to);
          const v = op === "drop" ? 1 : 0;
          z.nonres.fill(v, from, to);
          z.nonresCount += v ? to - from - was : -was;
          zd.spans.push([pfn, count]);
        }
        zd.residency = true;
        zd.map = true;
      }
      if (c.pageblocks) {
        for (const [i, name] of Object.entries(c.pageblocks)) z.pageblocks[+i] = name;
        zd.pageblocks = true;
        zd.map = true;
      }
      if (c.flags) { z.flags = c.flags; zd.flags = true; }
      if ("hinted_pages" in c) { z.hintedPages = c.hinted_pages; zd.hintedPages = true; }
      if ("nr_free_pages" in c) { z.nrFreePages = c.nr_free_pages; zd.freePages = true; }
      if ("batch_pages" in c) { z.batchPages = c.batch_pages; zd.freePages = true; }
      for (const [k, v] of Object.entries(c)) if (!ZONE_CHANGE_KEYS.has(k)) z.extra[k] = v;
    }

    if ("hinting" in changes) {
      const old = this.hinting;
      // Sent without its costs (they come as "costs", by changed key): keep ours.
      this.hinting = { ...changes.hinting };
      if (old?.costs !== undefined) this.hinting.costs = old.costs;
      d.hinting = true;
      this._diffBoundary(old?.boundary ?? {}, this.hinting.boundary ?? {}, d);
      const oldBatch = old?.batch ?? [];
      const newBatch = this.hinting.batch ?? [];
      if (!sameBatch(oldBatch, newBatch)) {
        d.batch = true;
        const still = new Set(newBatch.map((b) => b.pfn));
        for (const b of oldBatch) {
          const z = this.zoneOfPfn(b.pfn);
          if (z && !still.has(b.pfn)) clears.push([z, b.pfn, b.order]);
        }
        for (const b of newBatch) {
          const z = this.zoneOfPfn(b.pfn);
          if (z) { paints.push([z, b.pfn, b.order, PAGE_INFLIGHT]); zoneDirty(d, z.name).map = true; }
        }
        for (const b of oldBatch) {
          const z = this.zoneOfPfn(b.pfn);
          if (z) zoneDirty(d, z.name).map = true;
        }
      }
      this._indexBatch();
    }
    if ("costs" in changes) {
      this.hinting = { ...this.hinting, costs: { ...(this.hinting?.costs ?? {}), ...changes.costs } };
      d.costs = true;
    }
    if ("host" in changes) { this.host = changes.host; d.host = true; }
    if ("anomalies" in changes) { this.anomalies = changes.anomalies; d.anomalies = true; }

    for (const [z, pfn, order] of clears) {
      fillBlock(z, pfn, order, PAGE_FREE);
      zoneDirty(d, z.name).spans.push([pfn, 1 << order]);
    }
    for (const [z, pfn, order, code] of paints) {
      let c = code;
      if (c === -1) {
        if (z.freeIndex.get(pfn) === undefined) continue; // no longer free: its new holder paints it
        c = z.hinted.has(pfn) ? PAGE_HINTED : PAGE_FREE;
      }
      fillBlock(z, pfn, order, c);
      zoneDirty(d, z.name).spans.push([pfn, 1 << order]);
    }
    return d;
  }

  _applyLists(z, lists, zd, clears, paints) {
    const removed = []; // [pfn, key]
    const added = [];   // [pfn, key]
    for (const [key, ops] of Object.entries(lists)) {
      const old = z.lists.get(key);
      if (old === undefined) throw new StoreError(`${z.name}: no free list ${key}`);
      let next;
      let inserted;
      if ("full" in ops) {
        next = ops.full.slice();
        const oldSet = new Set(old);
        inserted = next.filter((p) => !oldSet.has(p));
      } else {
        const gone = new Set(ops.del);
        next = old.filter((p) => !gone.has(p));
        inserted = [];
        for (const [pfn, before] of ops.ins) {
          if (before === null) next.push(pfn);
          else {
            const at = next.indexOf(before);
            if (at < 0) throw new StoreError(`${z.name} ${key}: ${before} is not on the list`);
            next.splice(at, 0, pfn);
          }
          inserted.push(pfn);
        }
      }
      const nextSet = new Set(next);
      const order = orderOfKey(key);
      for (const p of old) if (!nextSet.has(p)) { removed.push([p, key]); clears.push([z, p, order]); }
      for (const p of inserted) added.push([p, key]);
      z.lists.set(key, next);
      zd.lists.add(key);
      zd.map = true;
      if (inserted.length) {
        const into = zd.inserted.get(key);
        if (into) for (const p of inserted) into.add(p);
        else zd.inserted.set(key, new Set(inserted));
      }
    }
    // A block that moved between two lists of this delta is removed from one
    // and added to the other: drop every stale index entry before adding.
    for (const [p, key] of removed) if (z.freeIndex.get(p) === key) z.freeIndex.delete(p);
    for (const [p, key] of added) {
      z.freeIndex.set(p, key);
      paints.push([z, p, orderOfKey(key), -1]);
    }
  }

  _diffBoundary(oldB, newB, d) {
    const orders = new Set([...Object.keys(oldB), ...Object.keys(newB)]);
    for (const o of orders) {
      const a = oldB[o] ?? {};
      const b = newB[o] ?? {};
      for (const mt of new Set([...Object.keys(a), ...Object.keys(b)])) {
        const x = a[mt];
        const y = b[mt];
        if (x?.zone === y?.zone && x?.pfn === y?.pfn) continue;
        for (const e of [x, y]) {
          if (!e) continue;
          d.boundary.add(`${e.zone}|${o}/${mt}`);
          zoneDirty(d, e.zone).lists.add(`${o}/${mt}`);
        }
      }
    }
  }

  // --- queries -------------------------------------------------------------------

  list(zoneName, order, mt) {
    return this.byName.get(zoneName)?.lists.get(`${order}/${mt}`) ?? [];
  }

  /** The boundary of (order, mt), or null while unset. */
  boundary(order, mt) {
    return this.hinting?.boundary?.[String(order)]?.[mt] ?? null;
  }

  /** The block holding `pfn`: {pfn, order, kind: allocated|free|inflight, mt, hinted, key, sg}. */
  blockAt(pfn) {
    const z = this.zoneOfPfn(pfn);
    if (!z) return null;
    const maxOrder = this.config.max_order;
    for (let o = 0; o < maxOrder; o++) {
      const head = pfn - (pfn % (1 << o));
      const a = z.alloc.get(head);
      if (a && a.order === o) return { zone: z.name, pfn: head, order: o, kind: "allocated", mt: a.mt };
      const key = z.freeIndex.get(head);
      if (key !== undefined && orderOfKey(key) === o) {
        return { zone: z.name, pfn: head, order: o, kind: "free", mt: mtOfKey(key), hinted: z.hinted.has(head), key };
      }
      const b = this.batchIndex.get(head);
      if (b && b.order === o) return { zone: z.name, pfn: head, order: o, kind: "inflight", mt: b.migratetype, sg: b.sg };
    }
    return null;
  }

  isResident(pfn) {
    const z = this.zoneOfPfn(pfn);
    return !z || !z.nonres[pfn - z.start];
  }

  /** Pages of the block at `pfn` (order `order`) the host has dropped. */
  nonresidentIn(pfn, order) {
    const z = this.zoneOfPfn(pfn);
    if (!z) return 0;
    let n = 0;
    const from = pfn - z.start;
    for (let i = from; i < from + (1 << order) && i < z.pages; i++) n += z.nonres[i];
    return n;
  }

  freePages(z) {
    return z.nrFree.reduce((s, n, o) => s + n * (1 << o), 0);
  }

  hintedPageCount(z) {
    if (!z.hintedPages) return 0;
    const min = this.config.hinting.min_order;
    return z.hintedPages.reduce((s, n, i) => s + n * (1 << (min + i)), 0);
  }

  /** The document, as the Python reference holds it (key order aside). */
  toDocument() {
    return {
      ...this.extra,
      format: this.format,
      now_ms: this.now_ms,
      config: this.config,
      zones: this.zones.map((z) => ({
        ...z.extra,
        name: z.name,
        start_pfn: z.start,
        pages: z.pages,
        nr_free_pages: z.nrFreePages,
        batch_pages: z.batchPages,
        // The seed's own zone fields; absent under a design without them.
        ...(z.flags !== undefined ? { flags: z.flags } : {}),
        ...(z.hintedPages !== undefined ? { hinted_pages: z.hintedPages } : {}),
        free_area: z.nrFree.map((nr, order) => ({
          order,
          nr_free: nr,
          free_list: Object.fromEntries(z.listKeys[order].map((mt) => [mt, z.lists.get(`${order}/${mt}`).slice()])),
        })),
        [this.markedField]: [...z.hinted].sort((a, b) => a - b),
        pageblocks: z.pageblocks.slice(),
        allocated: [...z.alloc.entries()].sort((a, b) => a[0] - b[0])
          .map(([pfn, a]) => ({ pfn, order: a.order, migratetype: a.mt })),
        nonresident: runsOf(z.nonres, z.start),
      })),
      hinting: this.hinting,
      host: this.host,
      anomalies: this.anomalies,
    };
  }
}

function fillBlock(z, pfn, order, code) {
  const from = pfn - z.start;
  if (from < 0 || from >= z.pages) return;
  z.page.fill(code, from, Math.min(z.pages, from + (1 << order)));
}

function sameBatch(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].pfn !== b[i].pfn || a[i].order !== b[i].order) return false;
  return true;
}

function countOnes(bytes, from = 0, to = bytes.length) {
  let n = 0;
  for (let i = from; i < to; i++) n += bytes[i];
  return n;
}

/** [first pfn, count] runs of set bytes, as Python's _apply_residency returns them. */
export function runsOf(bytes, start) {
  const out = [];
  let i = bytes.indexOf(1);
  while (i >= 0) {
    let j = bytes.indexOf(0, i);
    if (j < 0) j = bytes.length;
    out.push([start + i, j - i]);
    i = bytes.indexOf(1, j);
  }
  return out;
}
