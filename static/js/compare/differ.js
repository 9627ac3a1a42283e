// "What differs at this step", in words: sentences derived from the two
// machines of a compare session (the seed on the left, free page reporting on
// the right), never canned.  Pure functions over two Stores (store.js) and
// what the step did on each side; the strip (compare/index.js) shows the
// first few, most telling first.

const LEFT = "the seed";
const RIGHT = "reporting";

const plural = (n, one, many = `${one}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
const listName = (order, mt) => `o${order} ${mt}`;

/** What a pfn is on one side, in words ("free, unreported", "allocated", "in the batch", ...). */
export function whereIs(store, z, pfn, mark) {
  const b = store.blockAt(pfn);
  if (!b) return "not in this zone";
  if (b.kind === "inflight") return "in the batch, out with the host";
  if (b.kind === "allocated") return b.pfn === pfn ? "allocated" : `inside allocated block ${b.pfn} (order ${b.order})`;
  if (b.pfn !== pfn) return `inside free block ${b.pfn} (order ${b.order}), not ${mark}`;
  return z.hinted.has(pfn) ? mark : `free (${listName(b.order, b.mt)}), not ${mark}`;
}

const mtOf = (z, pfn) => { const key = z.freeIndex.get(pfn); return key === undefined ? null : key.slice(key.indexOf("/") + 1); };

/** Pfns marked on one side and not on the other, per zone: {onlyLeft, onlyRight}. */
export function markedDiff(left, right, zoneName) {
  const lz = left.zone(zoneName);
  const rz = right.zone(zoneName);
  if (!lz || !rz) return { onlyLeft: [], onlyRight: [] };
  const onlyLeft = [...lz.hinted].filter((p) => !rz.hinted.has(p)).sort((a, b) => a - b);
  const onlyRight = [...rz.hinted].filter((p) => !lz.hinted.has(p)).sort((a, b) => a - b);
  return { onlyLeft, onlyRight };
}

/**
 * Sentences for the step shown.
 * @param {object} o
 * @param {object} o.left   Store of the seed side
 * @param {object} o.right  Store of the reporting side
 * @param {string} o.zone   the zone shown
 * @param {object} [o.step] the step just applied ({do, ...}), when the view is at the step that was just applied
 * @param {object} [o.results] {left, right}: that step's results
 * @param {object} [o.events] {left: [...], right: [...]}: that step's explained events
 * @param {object} [o.inserted] {left: Map(key -> Set(pfn)), right: ...}: blocks the step put on the zone's lists
 * @returns {{kind: string, text: string}[]}
 */
export function differences(o) {
  const { left, right, zone } = o;
  const out = [];
  const lz = left.zone(zone);
  const rz = right.zone(zone);
  if (!lz || !rz) return out;
  const evL = o.events?.left ?? [];
  const evR = o.events?.right ?? [];

  // 1. The same step, different outcomes.
  const step = o.step;
  const rl = o.results?.left;
  const rr = o.results?.right;
  if (step && rl && rr) {
    if (rl.ok !== rr.ok) {
      const [yes, no, why] = rl.ok ? [LEFT, RIGHT, rr.error] : [RIGHT, LEFT, rl.error];
      out.push({ kind: "result", text: `${step.do} succeeded for ${yes} but not for ${no}: ${why ?? "refused"}.` });
    } else if (step.do === "alloc" && rl.ok && rl.pfn !== rr.pfn) {
      out.push({ kind: "result", text: `The alloc took block ${rl.pfn} on the left and ${rr.pfn} on the right: ` +
        `the designs left the free lists in different orders (the seed keeps Hinted blocks behind its boundary, ` +
        `reporting rotates the list it walked).` });
    }
  }

  // 2. Isolate lists: the seed hints them, reporting skips them.
  const isoPulls = evL.filter((e) => (e.kind === "pull" || e.kind === "hint") && e.migratetype === "Isolate" && e.zone === zone);
  if (isoPulls.length) {
    const e = isoPulls[0];
    const touched = evR.some((x) => x.migratetype === "Isolate" && x.kind === "isolate");
    out.push({ kind: "isolate", text: `${RIGHT} ${touched ? "also took from" : "skipped"} the order-${e.order} Isolate list ` +
      `the seed just pulled ${e.pfn} from${touched ? "" : " (page_reporting_process_zone never walks Isolate lists)"}.` });
  } else {
    let hintedIso = 0;
    for (const p of lz.hinted) if (mtOf(lz, p) === "Isolate") hintedIso++;
    if (hintedIso) {
      out.push({ kind: "isolate", text: `${plural(hintedIso, "Hinted block")} of the seed sit on Isolate lists; ` +
        `reporting never reports a block there.` });
    }
  }

  // 3. Where this step's frees landed: in front of the seed's boundary, at reporting's head or tail.
  const insL = o.inserted?.left;
  const insR = o.inserted?.right;
  if (insL && insR && step?.do === "free") {
    for (const [key, pfns] of insL) {
      const slash = key.indexOf("/");
      const order = +key.slice(0, slash);
      const mt = key.slice(slash + 1);
      const b = left.boundary(order, mt);
      const list = lz.lists.get(key) ?? [];
      for (const pfn of pfns) {
        const i = list.indexOf(pfn);
        const bi = b && b.zone === zone && b.pfn !== null && !b.stale ? list.indexOf(b.pfn) : -1;
        const rkey = [...(insR.entries())].find(([, s]) => s.size)?.[0];
        const rlist = rkey ? rz.lists.get(rkey) ?? [] : [];
        const rpfn = rkey ? [...insR.get(rkey)][0] : null;
        const ri = rpfn !== null ? rlist.indexOf(rpfn) : -1;
        const rplace = ri < 0 ? null : ri === rlist.length - 1 && rlist.length > 1 ? "at the tail" : ri === 0 ? "at the head" : `at entry ${ri}`;
        const rotate = rplace && (right.hinting?.walk ?? []).some((w) => w.zone === zone && `${w.order}/${w.migratetype}` === rkey && w.skipped > 0);
        if (bi >= 0 && i >= 0 && i < bi) {
          out.push({ kind: "landing", text: `The seed's boundary kept ${pfn} free in front of the Hinted blocks of ` +
            `${listName(order, mt)}` + (rplace ? `; reporting put ${rpfn} ${rplace}` +
              (rotate ? ", behind Reported blocks its next walk skips and will rotate past." : ".") : ".") });
        } else if (rplace && i >= 0) {
          const lplace = i === list.length - 1 && list.length > 1 ? "at the tail" : i === 0 ? "at the head" : `at entry ${i}`;
          if (lplace !== rplace || pfn !== rpfn) {
            out.push({ kind: "landing", text: `The free landed ${lplace} of ${listName(order, mt)} on the seed's side ` +
              `(${pfn}) and ${rplace} of ${listName(+rkey.slice(0, rkey.indexOf("/")), rkey.slice(rkey.indexOf("/") + 1))} ` +
              `on reporting's (${rpfn}).` });
          }
        }
        break;
      }
      break;
    }
  }

  // 4. Marking that differs.
  const { onlyLeft, onlyRight } = markedDiff(left, right, zone);
  if (onlyLeft.length || onlyRight.length) {
    const parts = [];
    if (onlyLeft.length) {
      const p = onlyLeft[0];
      parts.push(`${onlyLeft.length > 1 ? `${plural(onlyLeft.length, "block")} Hinted on the left only, e.g. ` : ""}` +
        `${p}: Hinted on the left, ${whereIs(right, rz, p, "Reported")} on the right`);
    }
    if (onlyRight.length) {
      const p = onlyRight[0];
      parts.push(`${onlyRight.length > 1 ? `${plural(onlyRight.length, "block")} Reported on the right only, e.g. ` : ""}` +
        `${p}: Reported on the right, ${whereIs(left, lz, p, "Hinted")} on the left`);
    }
    out.push({ kind: "marked", text: `${parts.join("; ")}.` });
  }

  // 5. NR_FREE_PAGES: the pages a batch hides from the watermarks, and the seed's drift.
  const batches = [[LEFT, left, lz], [RIGHT, right, rz]].filter(([, , z]) => (z.batchPages ?? 0) > 0);
  if (batches.length) {
    const say = ([name, store, z]) => `${name} ${plural((store.hinting?.batch ?? []).length, "block")} ` +
      `(${plural(z.batchPages, "page")}, NR_FREE_PAGES ${z.nrFreePages.toLocaleString("en-US")})`;
    out.push({ kind: "batch", text: `Out with the host: ${batches.map(say).join("; ")}. NR_FREE_PAGES leaves a batch out ` +
      `while it is away, so the watermarks see that much less free memory than there is.` });
  }
  for (const [name, store] of [[LEFT, left], [RIGHT, right]]) {
    const drift = (store.anomalies ?? []).filter((a) => a.kind === "nr_free_pages_drift" && a.zone === zone)
      .reduce((n, a) => n + (a.pages ?? 0), 0);
    if (drift) {
      out.push({ kind: "drift", text: `${name === LEFT ? "The seed's" : "Reporting's"} NR_FREE_PAGES is short by ` +
        `${plural(drift, "page")} for good: it took blocks off an Isolate list, where NR_FREE_PAGES never counted them, ` +
        `and subtracted them all the same${name === LEFT ? " (reporting never walks Isolate lists)" : ""}.` });
    }
  }

  // 6. The zone lock this step: how often each design took it, and the most one hold did.
  const hl = o.holds?.left ?? [];
  const hr = o.holds?.right ?? [];
  if (hl.length || hr.length) {
    const say = (holds) => {
      if (!holds.length) return "not at all";
      const big = holds.reduce((a, h) => (h.entries + h.pulled + h.put_back > a.entries + a.pulled + a.put_back ? h : a));
      return `${plural(holds.length, "time")} (the longest hold read ${plural(big.entries, "entry", "entries")}, ` +
        `pulled ${big.pulled}, put back ${big.put_back})`;
    };
    out.push({ kind: "lock", text: `This step the seed took the zone lock ${say(hl)}; reporting ${say(hr)}.` });
  }

  // 7. Nothing else: say how alike they are.
  if (!out.length) {
    let sameSets = true;
    const orderDiff = [];
    const keys = new Set([...lz.lists.keys(), ...rz.lists.keys()]);
    for (const key of keys) {
      const a = lz.lists.get(key) ?? [];
      const b = rz.lists.get(key) ?? [];
      if (a.length !== b.length) { sameSets = false; break; }
      const sb = new Set(b);
      if (!a.every((p) => sb.has(p))) { sameSets = false; break; }
      if (a.some((p, i) => b[i] !== p)) orderDiff.push(key);
    }
    if (sameSets && !orderDiff.length) {
      out.push({ kind: "same", text: "Both machines agree at this step: the same free blocks in the same order, the same marking." });
    } else if (sameSets) {
      const k = orderDiff[0];
      out.push({ kind: "order", text: `The same free blocks and marking; the order of ${listName(+k.slice(0, k.indexOf("/")), k.slice(k.indexOf("/") + 1))}` +
        `${orderDiff.length > 1 ? ` (and ${orderDiff.length - 1} more list${orderDiff.length > 2 ? "s" : ""})` : ""} differs: ` +
        `reporting rotates a list it walked, the seed keeps Hinted blocks at the tail.` });
    } else {
      out.push({ kind: "blocks", text: "The free blocks differ between the sides (different allocations or merges earlier on); the marking agrees." });
    }
  }
  for (const it of out) it.text = it.text[0].toUpperCase() + it.text.slice(1);
  return out;
}
