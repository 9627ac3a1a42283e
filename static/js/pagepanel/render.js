// The page panel's HTML, from the server's documents (docs/page-representation.md):
// a `hinting-page/1` (one pfn, one encoding) and, per zone, the state's
// `page_repr` summary (every encoding at once) with the chosen encoding's
// `hinting-pages/1` breakdown.  Pure functions of their arguments: the same
// documents give the same markup (static/js/tests/pagepanel.test.mjs).

import { esc, num } from "../util.js";

/** The three encodings, in the order the review proposed them, with who proposed each. */
export const ENCODINGS = [
  { name: "offline-alias", who: "the seed's", bit: "PG_offline in page_type" },
  { name: "dirty-unhinted", who: "a reviewer's", bit: "PG_dirty on unhinted heads" },
  { name: "uptodate-reported", who: "5.7's", bit: "PG_uptodate (PG_reported)" },
];
export const ENCODING_NAMES = ENCODINGS.map((e) => e.name);
/** Each design's own encoding, before any document says so (docs/page-representation.md). */
export const OWN = { seed: "offline-alias", reporting: "uptodate-reported" };

export function encodingLabel(name, own) {
  const e = ENCODINGS.find((x) => x.name === name);
  return `${name} · ${e?.who ?? ""}${name === own ? " · own" : ""}`;
}

const yes = (b) => `<b class="pp-bool" data-on="${b ? 1 : 0}">${b ? "true" : "false"}</b>`;
const pfnLink = (pfn, testid) => `<button class="pp-link" type="button" data-goto="${pfn}" data-testid="${testid}" ` +
  `title="show pfn ${pfn} here and highlight its block">pfn ${num(pfn)}</button>`;

function lruEnd(end, testid) {
  if (end === null || end === undefined) return "—";
  if (typeof end === "string") return `<code>${esc(end)}</code> <span class="hint">LIST_POISON</span>`;
  if (end.pfn !== undefined) return pfnLink(end.pfn, testid);
  return `<code>${esc(end.list_head)}</code> <span class="hint">the list head</span>`;
}

const TYPE_NAMES = { buddy: "Buddy", offline: "Offline", kmemcg: "Kmemcg", table: "Table", guard: "Guard" };

/** The page in tail-stepping terms: "page 3 of 8", and the pfns of its neighbours inside the block. */
export function blockPosition(doc) {
  const b = doc.block;
  const first = b.head_pfn ?? doc.pfn;
  const last = b.last_pfn ?? doc.pfn;
  return { index: doc.pfn - first, pages: last - first + 1, first, last,
    prev: doc.pfn > first ? doc.pfn - 1 : null, next: doc.pfn < last ? doc.pfn + 1 : null };
}

/** The struct page and what each reader concludes, for one pfn under one encoding. */
export function pageHtml(doc) {
  const sp = doc.struct_page;
  const pt = sp.page_type;
  const b = doc.block;
  const pos = blockPosition(doc);
  const kpf = doc.kpageflags;
  const md = doc.makedumpfile;
  const walk = doc.list_walkers;
  const types = pt.types.length ? `${pt.types.map((t) => TYPE_NAMES[t] ?? t).join(" + ")} type set` : "no type";
  const nav = pos.pages > 1
    ? `<div class="pp-nav" role="group" aria-label="pages of this block">` +
      `<button class="btn small" type="button" data-goto="${pos.first}" data-testid="page-head"${pos.index === 0 ? " disabled" : ""} aria-label="the head page">⇤<span class="pp-wide"> head</span></button>` +
      `<button class="btn small" type="button" data-goto="${pos.prev ?? ""}" data-testid="page-prev"${pos.prev === null ? " disabled" : ""} aria-label="previous page of the block">‹</button>` +
      `<span class="pp-pos" data-testid="page-pos">page ${num(pos.index + 1)} of ${num(pos.pages)}${pos.index ? " · a tail page" : " · the head"}</span>` +
      `<button class="btn small" type="button" data-goto="${pos.next ?? ""}" data-testid="page-next"${pos.next === null ? " disabled" : ""} aria-label="next page of the block">›</button>` +
      `<button class="btn small" type="button" data-goto="${pos.last}" data-testid="page-last"${pos.index === pos.pages - 1 ? " disabled" : ""} aria-label="the last page">` +
      `<span class="pp-wide">last </span>⇥</button></div>`
    : "";
  const list = b.list ? `<code>${esc(b.list.name)}</code>` : b.state === "batch"
    ? `none: out in the design's batch (entry ${num(b.batch_index)})` : b.state === "allocated" ? "none: allocated" : "none";
  const flags = sp.flags.names.length ? sp.flags.names.map((n) => `<b>${esc(n)}</b>`).join(" ") : `<span class="hint">none set</span>`;
  const fields = [
    ["flags", `<code>${esc(sp.flags.hex)}</code> ${flags}`],
    ["page_type / _mapcount", `<code class="pp-hex">${esc(pt.hex)}</code> = ${pt.signed} <span class="hint">· ${esc(types)}</span>`],
    ["private", `<code>${sp.private}</code> <span class="hint">${esc(sp.private_text)}</span>`],
    ["_refcount", `<code>${sp.refcount}</code>`],
    ["lru.next", lruEnd(sp.lru.next, "page-lru-next")],
    ["lru.prev", lruEnd(sp.lru.prev, "page-lru-prev")],
    ["hangs on", `<span data-testid="page-list">${list}</span> <span class="hint">· ${esc(sp.lru.text)}</span>`],
  ];
  const verdictClass = md.verdict === "dumped" ? "bad" : "ok";
  const readers = [
    ["PageBuddy()", yes(doc.kernel.PageBuddy)],
    ["PageOffline()", `${yes(doc.kernel.PageOffline)} <span class="hint">${esc(doc.kernel.PageOffline_text.replace(/^(true|false):\s*/, ""))}</span>`],
    ["/proc/kpageflags", `<code class="pp-kpf">${esc(kpf.text)}</code> <span class="hint mono">${esc(kpf.hex)}</span>` +
      (kpf.why.length ? `<div class="hint">${kpf.why.map(esc).join(" · ")}</div>` : "")],
    [`makedumpfile -d ${md.dump_level}`, `<span class="pp-verdict ${verdictClass}">${esc(md.text)}</span>` +
      ` <span class="hint">(${num(md.pages)} page${md.pages === 1 ? "" : "s"})</span><div class="hint">${esc(md.reason)}</div>`],
    ["crash kmem -f, drgn", `<span data-testid="page-walkers" data-sees="${walk.sees ? 1 : 0}">${walk.sees ? "lists it" : "does not list it"}</span>` +
      ` <span class="hint">· ${esc(walk.text)}</span>`],
  ];
  // At a glance (what a projector shows without scrolling): the value, the word, the verdict.
  const glance = `<div class="pp-glance">` +
    `<div><span class="k">page_type</span><code class="pp-hex" data-testid="page-type">${esc(pt.hex)}</code>` +
    `<small data-testid="page-type-signed">= ${pt.signed}</small></div>` +
    `<div><span class="k">/proc/kpageflags</span><code class="pp-kpf" data-testid="kpageflags">${esc(kpf.text)}</code></div>` +
    `<div><span class="k">makedumpfile</span><span class="pp-verdict ${verdictClass}" data-verdict="${esc(md.verdict)}" ` +
    `data-testid="makedumpfile">${esc(md.text)}</span></div></div>`;
  const dl = (rows) => `<dl class="pp-dl">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
  return `<div class="pp-block" data-testid="page-block" data-state="${esc(b.state)}" data-marked="${b.marked ? 1 : 0}">${esc(doc.block_text)}</div>` +
    nav + glance +
    `<h3 class="pp-h">struct page <span class="hint">under ${esc(doc.encoding.name)}: ${esc(doc.encoding.bit)}</span></h3>${dl(fields)}` +
    `<h3 class="pp-h">what each reader concludes</h3>${dl(readers)}`;
}

/**
 * The zone's figures for every encoding (from the state's `page_repr`, so they follow each step at once),
 * the chosen one's column marked, and the chosen encoding's breakdown when its `hinting-pages/1` zone is known.
 */
export function totalsHtml(zoneName, summary, chosen, detail) {
  if (!summary) return "";
  const rows = [
    ["free pages makedumpfile writes out", "dumped_though_free", "page-dumped-though-free"],
    ["free pages that read PageOffline()", "pageoffline_pages", "page-pageoffline"],
    ["page flag writes so far", "flag_writes", "page-flag-writes"],
  ];
  const own = summary.own_encoding;
  const head = ENCODINGS.map((e) => `<th scope="col" class="${e.name === chosen ? "on" : ""}" title="${esc(e.bit)}">` +
    `${esc(e.name)}<small>${esc(e.who)}${e.name === own ? " · own" : ""}</small></th>`).join("");
  const body = rows.map(([label, key, testid]) => `<tr><th scope="row">${esc(label)}</th>` + ENCODINGS.map((e) => {
    const v = summary.encodings[e.name]?.[key];
    return `<td class="${e.name === chosen ? "on" : ""}"${e.name === chosen ? ` data-testid="${testid}"` : ""}>${num(v)}</td>`;
  }).join("") + "</tr>").join("");
  let more = "";
  if (detail) {
    const m = detail.makedumpfile;
    const w = detail.flag_writes;
    more = `<div class="hint pp-detail" data-testid="page-zone-detail">${num(detail.free_pages)} free pages in ${num(detail.free_blocks)} blocks, ` +
      `${num(detail.marked_pages)} of them marked, ${num(detail.batch_pages)} out in a batch · makedumpfile excludes ${num(m.excluded_free)} free` +
      `${m.excluded_offline ? ` and ${num(m.excluded_offline)} offline` : ""}, writes out ${num(m.dumped_on_lists)} on the lists and ${num(m.dumped_in_batch)} in the batch` +
      ` · writes: ${num(w.list_adds)} list adds, ${num(w.list_removals)} removals, ${num(w.marks_set)} marks set, ` +
      `${num(w.marks_cleared_on_list)} cleared on a list, ${num(w.marks_cleared_off_list)} cleared leaving it</div>`;
  }
  return `<h3 class="pp-h">zone ${esc(zoneName)} · per encoding</h3>` +
    `<table class="pp-totals" data-testid="page-zone-totals"><thead><tr><th></th>${head}</tr></thead><tbody>${body}</tbody></table>${more}`;
}
