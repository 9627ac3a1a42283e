// "This machine": the server's host, live, read-only (app/live_host.py, docs/live-host.md).
//
// One Connection to /ws/host (the session protocol: hello, then a snapshot a
// second while the page is open).  Each snapshot is a hinting-host/1 document:
// sources with why they are missing, zones from zoneinfo, free blocks per order
// and migratetype, and the physical map from /proc/kpageflags, drawn by the
// dashboard's own map renderer through the adapter (adapter.js).

import { Connection } from "../connection.js";
import { createSession, storeToken } from "../session.js";
import { $, esc, num, MT_CLASS } from "../util.js";
import { MemMapView } from "../views/memmap.js";
import { CODE_LABELS, HostStore, fullDirty, hostCtx } from "./adapter.js";

const store = new HostStore();
let selected = null;
let raf = 0;
let dirty = fullDirty();
const ctx = hostCtx(store, (flags) => { Object.assign(dirty, flags); schedule(); });

/** The map renderer of the dashboard, kept in run mode: host pages have no blocks to label one by one. */
class HostMapView extends MemMapView {
  _layout(z) {
    const L = super._layout(z);
    if (L && L.cell) L.cell = false;
    return L;
  }

  _ensureCanvas(z) {
    super._ensureCanvas(z);
    // No pageblock stripe here: procfs gives pageblock migratetypes as counts only.
    this.sub.textContent = this.sub.textContent.replace(/ · under each row.*$/, " · one colour per page kind, from /proc/kpageflags");
  }
}
const map = new HostMapView(ctx);
window.hostView = { store, map, ctx, snapshots: 0 };

function schedule() {
  if (!raf) raf = requestAnimationFrame(() => { raf = 0; render(); });
}

function pct(a, b) { return b ? `${((100 * a) / b).toFixed(1)} %` : "—"; }

function renderSources(doc) {
  const order = ["buddyinfo", "pagetypeinfo", "zoneinfo", "vmstat", "page_reporting", "kpageflags", "kernel"];
  const names = [...order.filter((n) => doc.sources[n]), ...Object.keys(doc.sources).filter((n) => !order.includes(n))];
  $("#host-sources").innerHTML = names.map((n) => {
    const s = doc.sources[n];
    const probs = s.problems_total ? ` · ${s.problems_total} line${s.problems_total > 1 ? "s" : ""} not understood` : "";
    const title = (s.problems ?? []).map((p) => `line ${p.line}: ${p.why}`).join("\n");
    return `<span class="src" data-testid="host-source" data-source="${esc(n)}" data-ok="${s.ok}" title="${esc(title)}">` +
      `<b>${esc(s.path)}</b>${s.why ? ` — ${esc(s.why)}` : ""}${esc(probs)}</span>`;
  }).join("");
}

function renderTabs(doc) {
  const tabs = $("#host-zone-tabs");
  const want = doc.zones.map((z) => z.name).join("|");
  if (tabs.dataset.zones !== want) {
    tabs.dataset.zones = want;
    tabs.innerHTML = doc.zones.map((z) => `<button class="zone-tab" role="tab" data-testid="host-zone-tab" ` +
      `data-zone="${esc(z.name)}">${esc(z.name)} <span class="pg">${num(z.spanned)} pg</span></button>`).join("");
  }
  for (const b of tabs.children) b.setAttribute("aria-selected", String(b.dataset.zone === selected));
}

function zoneHead(doc, z) {
  const free = z.free ?? z.nr_free_pages ?? null;
  const managed = z.managed ?? z.present ?? z.spanned;
  // The bar's scale: the free pages or four times the high watermark, whichever is more.
  const scale = Math.max(free ?? 0, 4 * (z.high ?? 0), 1);
  const at = (v) => Math.min(100, (100 * v) / scale).toFixed(1);
  const wm = (v, cls) => (v !== null && v !== undefined ? `<i class="${cls}" title="${cls} ${num(v)}" style="left:${at(v)}%"></i>` : "");
  const counts = z.map?.counts ?? {};
  const reported = (counts.reported ?? 0);
  const order = doc.page_reporting?.page_reporting_order;
  return `<div class="zname" data-testid="host-zone-name">${esc(z.name)}<small>node ${z.node} · pfn ${num(z.start_pfn)}–` +
    `${num((z.start_pfn ?? 0) + z.spanned - 1)}</small></div>` +
    `<div class="kv"><span class="k">spanned · present · managed</span><span class="v">${num(z.spanned)} · ` +
    `${num(z.present)} · ${num(z.managed)} <span class="unit">pg</span></span></div>` +
    `<div class="kv"><span class="k">free (zoneinfo)</span><span class="v" data-testid="host-free">${num(free)} ` +
    `<span class="unit">pg · ${pct(free ?? 0, managed)} of managed</span></span></div>` +
    `<div class="kv"><span class="k">watermarks min · low · high</span><span class="v">${num(z.min)} · ${num(z.low)} · ` +
    `${num(z.high)}</span></div>` +
    `<div class="kv"><span class="k">Reported (kpageflags)</span><span class="v" data-testid="host-reported">` +
    `${z.map ? num(reported) : "—"} <span class="unit">pg${z.map ? ` in ${num(z.map.reported_blocks)} blocks` : ""}` +
    `${order !== undefined ? ` · page_reporting_order ${order}` : ""}</span></span></div>` +
    `<div class="kv"><span class="k">free vs watermarks</span><span class="wm" role="img" aria-label="free pages against ` +
    `the watermarks"><b style="width:${at(free ?? 0)}%"></b>` +
    `${wm(z.min, "min")}${wm(z.low, "low")}${wm(z.high, "high")}</span></div>`;
}

function freeArea(doc, z) {
  const rows = z.free_by_migratetype;
  const buddy = z.buddyinfo ?? [];
  const maxOrder = doc.max_order ?? buddy.length ?? 11;
  const mts = rows ? Object.keys(rows) : [];
  if (!rows && !buddy.length) return `<p class="hint">No free counts for this zone: ${esc(doc.sources.pagetypeinfo?.why ?? "")}</p>`;
  const most = Math.max(1, ...[...mts.flatMap((m) => rows[m].map((n, o) => n << o)), ...buddy.map((n, o) => n << o)]);
  const colour = (mt) => (MT_CLASS[mt] ? `var(--mt-${mt.toLowerCase()})` : "var(--ink-3)");
  const cell = (n, o, mt) => `<td class="${n ? "" : "zero"}" data-order="${o}" data-migratetype="${esc(mt)}">${num(n)}` +
    (n ? `<span class="bar" style="width:${Math.max(2, (100 * (n << o)) / most).toFixed(1)}%;background:${colour(mt)}"></span>` : "") + "</td>";
  const order = doc.page_reporting?.page_reporting_order;
  let body = "";
  for (let o = maxOrder - 1; o >= 0; o--) {
    body += `<tr class="${o === order ? "rep" : ""}"${o === order ? ' title="page_reporting_order: blocks of this order and up are reported"' : ""}><td>order ${o}</td>${mts.map((m) => cell(rows[m][o] ?? 0, o, m)).join("")}` +
      `<td class="total">${num(buddy[o])}</td></tr>`;
  }
  const pages = (m) => rows[m].reduce((s, n, o) => s + (n << o), 0);
  const pb = z.pageblocks ?? {};
  const foot = `<tr><td>free pages</td>${mts.map((m) => `<td>${num(pages(m))}</td>`).join("")}` +
    `<td class="total">${num(buddy.reduce((s, n, o) => s + (n << o), 0))}</td></tr>` +
    `<tr><td>pageblocks</td>${mts.map((m) => `<td>${num(pb[m])}</td>`).join("")}<td></td></tr>`;
  const capped = z.capped?.length ? `<p class="hint">Printed as "&gt;100000" by the kernel (a lower bound): ${esc(z.capped.join(", "))}</p>` : "";
  return `<table class="hfa" data-testid="host-free-table"><thead><tr><th>order</th>` +
    mts.map((m) => `<th title="${esc(m)}"><i class="sw ${MT_CLASS[m] ?? ""}"></i>${esc(m.length > 8 ? `${m.slice(0, 7)}.` : m)}</th>`).join("") +
    `<th>buddyinfo</th></tr></thead><tbody>${body}</tbody><tfoot>${foot}</tfoot></table>${capped}`;
}

function legend(z) {
  const counts = z?.info.map?.counts ?? {};
  const sw = ["sw free", "sw hint", "sw mt-u", "sw mt-m", "sw", "sw infl", "sw", "sw", "sw"];
  const names = ["free", "reported", "kernel", "user", "other", "offline", "hole", "unread", "pcp"];
  return names.map((n, i) => (counts[n] || i < 4
    ? `<span data-code="${n}"><i class="${sw[i]}"${sw[i] === "sw" ? ' style="background:var(--ink-3)"' : ""}></i>` +
      `${esc(CODE_LABELS[i])} <b>${num(counts[n] ?? 0)}</b></span>` : "")).join("") +
    (z?.info.map?.why ? `<span class="hint">${esc(z.info.map.why)}</span>` : "");
}

function render() {
  const doc = store.doc;
  if (!doc) return;
  if (!selected || !store.zone(selected)) selected = (doc.zones.find((z) => z.name === "Normal") ?? doc.zones.at(-1))?.name ?? null;
  ctx.ui.zone = selected;
  renderTabs(doc);
  const z = doc.zones.find((x) => x.name === selected);
  $("#host-zone-head").innerHTML = z ? zoneHead(doc, z) : `<p class="hint">No zone could be read.</p>`;
  $("#host-free-area").innerHTML = z ? freeArea(doc, z) : "";
  $("#host-map-legend").innerHTML = legend(store.zone(selected));
  const noMap = !z?.map;
  $("#map-wrap").hidden = noMap;
  if (noMap) {
    $("#map-sub").textContent = `no map: ${doc.sources.kpageflags?.why ?? "not read"}`;
  } else {
    const d = dirty;
    dirty = { ...fullDirty(), full: false, zoneChanged: false };
    map.render(d);
  }
}

$("#host-zone-tabs").addEventListener("click", (e) => {
  const t = e.target.closest(".zone-tab");
  if (!t) return;
  selected = t.dataset.zone;
  map.zoomTo(null);
  dirty = fullDirty();
  schedule();
});

function banner(text, bad = false) {
  const el = $("#host-banner");
  el.hidden = !text;
  el.textContent = text ?? "";
  el.classList.toggle("bad", bad);
}

$("#host-simulate").addEventListener("click", async (e) => {
  const btn = e.currentTarget;
  btn.disabled = true;
  btn.textContent = "Simulating…";
  try {
    const res = await fetch("/api/host/scenario");
    const scenario = await res.json();
    if (!res.ok) throw scenario.error ?? { message: res.statusText };
    const s = await createSession({ scenario });
    storeToken(s.id, s.control_token);
    location.href = `/s/${s.id}`;
  } catch (err) {
    banner(`This machine cannot be simulated here: ${err.field ? `${err.field}: ` : ""}${err.message}`, true);
    btn.disabled = false;
    btn.textContent = "Simulate this machine";
  }
});

const conn = new Connection({
  url: `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws/host`,
  token: null,
  onStatus(s) {
    $("#host-conn").textContent = s === "live" ? "live" : s;
    $("#host-conn").parentElement.dataset.status = s;
  },
  async onSnapshot(msg) {
    const doc = msg.state;
    const t0 = performance.now();
    await store.load(doc);
    window.hostView.snapshots++;
    window.hostView.loadMs = performance.now() - t0;
    $("#host-kernel").textContent = `Linux ${doc.kernel ?? "(version unknown)"}`;
    $("#host-read").textContent = `read in ${num(Math.round(doc.read_ms))} ms · ${new Date(doc.read_at * 1000).toLocaleTimeString()}`;
    renderSources(doc);
    banner(doc.zones.length ? null : "No zone of this host could be read; the sources above say why.", !doc.zones.length);
    if (window.hostView.snapshots === 1) dirty.full = true;
    dirty.map = true;
    document.documentElement.dataset.ready = "true";
    schedule();
  },
  onDelta() {},
  onError(err) { banner(err?.message ?? "server error", true); },
  onGone() { banner("The server has no host view.", true); },
});
conn.start();
