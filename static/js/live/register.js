// Real kernels in the dashboard: a "This machine" link and trace import
// (a button, or drop a trace anywhere on the page).  Registered by one
// <script> line in index.html; everything else lives here and in upload.js.

import { storeToken } from "../session.js";
import { $, esc, num } from "../util.js";
import { uploadTrace } from "./upload.js";

const css = document.createElement("link");
css.rel = "stylesheet";
css.href = "/static/css/live.css";
document.head.appendChild(css);

const tools = document.querySelector(".topbar .group.tools") ?? document.querySelector(".topbar");
const host = document.createElement("a");
host.className = "btn ro-ok";
host.href = "/host";
host.dataset.testid = "open-host";
host.title = "This machine: the free lists of the computer the lab runs on, live";
host.innerHTML = `<svg class="ico" viewBox="0 0 16 16" aria-hidden="true"><path d="M2 3h12v8H2zM6 13.5h4M8 11v2.5" stroke="currentColor" stroke-width="1.6" fill="none"/></svg><span class="lbl">This machine</span>`;
const importBtn = document.createElement("button");
importBtn.className = "btn ro-ok";
importBtn.dataset.testid = "import-trace";
importBtn.title = "Import a kernel page-allocation trace (tracefs or perf script); or drop it on the page";
importBtn.innerHTML = `<svg class="ico" viewBox="0 0 16 16" aria-hidden="true"><path d="M8 13V4M4.5 7.5L8 4l3.5 3.5M3 2.5h10" stroke="currentColor" stroke-width="1.7" fill="none" stroke-linecap="round"/></svg><span class="lbl">Trace</span>`;
const input = document.createElement("input");
input.type = "file";
input.hidden = true;
input.dataset.testid = "import-trace-file";
input.accept = ".txt,.trace,.log,text/plain";
tools.prepend(host, importBtn, input);
importBtn.addEventListener("click", () => input.click());
input.addEventListener("change", () => { if (input.files[0]) openDialog(input.files[0]); input.value = ""; });

// --- drag and drop --------------------------------------------------------------------------

let veil = null;
let depth = 0;
const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes("Files");
document.addEventListener("dragenter", (e) => {
  if (!hasFiles(e)) return;
  depth++;
  if (!veil) {
    veil = document.createElement("div");
    veil.className = "drop-veil";
    veil.dataset.testid = "drop-veil";
    veil.textContent = "Drop a kernel trace to replay it";
    document.body.appendChild(veil);
  }
});
document.addEventListener("dragover", (e) => { if (hasFiles(e)) e.preventDefault(); });
document.addEventListener("dragleave", () => { if (--depth <= 0) { depth = 0; veil?.remove(); veil = null; } });
document.addEventListener("drop", (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  depth = 0;
  veil?.remove();
  veil = null;
  const file = e.dataTransfer.files[0];
  if (file) openDialog(file);
});

// --- the dialog -------------------------------------------------------------------------------

function dialog() {
  let el = $("#upload-dialog");
  if (el) return el;
  el = document.createElement("div");
  el.className = "overlay";
  el.id = "upload-dialog";
  el.dataset.testid = "upload-dialog";
  el.setAttribute("role", "dialog");
  el.setAttribute("aria-modal", "true");
  el.setAttribute("aria-labelledby", "upload-title");
  el.innerHTML = `<div class="dialog upload-dialog"><div class="panel-head"><h2 id="upload-title">Replay a kernel trace</h2>` +
    `<span class="hint right">Esc closes</span></div><div id="upload-body"></div></div>`;
  el.addEventListener("click", (e) => { if (e.target === el) close(); });
  el.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });
  document.body.appendChild(el);
  return el;
}

let current = null; // the upload in flight, to abort on close

function close() {
  current?.abort();
  current = null;
  $("#upload-dialog")?.remove();
}

function openDialog(file) {
  const el = dialog();
  const body = $("#upload-body", el);
  body.innerHTML = `<p><b data-testid="upload-file">${esc(file.name)}</b> · ${num(file.size)} bytes</p>` +
    `<p class="hint">The ftrace text of kmem:mm_page_alloc, mm_page_free, mm_page_free_batched, mm_page_pcpu_drain and ` +
    `mm_page_alloc_zone_locked (tracefs <code>trace</code>, or <code>perf script</code>). Each allocation becomes an ` +
    `alloc of the same order and migratetype, each free of it a free; virtual time follows the timestamps.</p>` +
    `<div class="row"><label class="inl">design <select id="upload-design" data-testid="upload-design">` +
    `<option value="seed">seed (Hinted pages, 2019)</option><option value="reporting">free page reporting (5.7)</option></select></label>` +
    `<label class="inl">time scale <input id="upload-scale" data-testid="upload-scale" type="number" min="0.001" step="any" value="1" ` +
    `title="virtual ms per real ms of the trace"></label>` +
    `<button class="btn primary" id="upload-go" data-testid="upload-go">Import</button>` +
    `<button class="btn" id="upload-cancel">Cancel</button></div>` +
    `<div class="xprog" hidden id="upload-prog-box"><progress id="upload-progress" data-testid="upload-progress" max="1" value="0"></progress>` +
    `<span id="upload-status" data-testid="upload-status"></span></div>` +
    `<div class="err" data-testid="error" data-for="upload" role="alert" hidden></div><div id="upload-summary"></div>`;
  $("#upload-cancel", el).addEventListener("click", close);
  $("#upload-go", el).addEventListener("click", () => start(file));
  $("#upload-go", el).focus();
}

function start(file) {
  const el = $("#upload-dialog");
  const go = $("#upload-go", el);
  go.disabled = true;
  const box = $("#upload-prog-box", el);
  box.hidden = false;
  const bar = $("#upload-progress", el);
  const status = $("#upload-status", el);
  const err = el.querySelector('[data-for="upload"]');
  err.hidden = true;
  current = uploadTrace(file, {
    design: $("#upload-design", el).value,
    timeScale: $("#upload-scale", el).value,
    onProgress(phase, done, total) {
      // Upload is the first half of the bar, conversion the second.
      const frac = total ? done / total : 0;
      bar.value = phase === "upload" ? frac / 2 : phase === "convert" ? 0.5 + frac / 2 : 1;
      status.textContent = phase === "upload" ? `sending ${Math.round(frac * 100)} %`
        : phase === "convert" ? `converting: ${num(done)} of ${num(total)} lines` : "building the session…";
    },
  });
  current.promise.then((result) => {
    current = null;
    bar.value = 1;
    status.textContent = "done";
    try { sessionStorage.setItem(`hl.import.${result.id}`, JSON.stringify(result.summary)); } catch { /* private mode */ }
    storeToken(result.id, result.control_token);
    showSummary(result.summary, result.id);
  }).catch((e) => {
    current = null;
    go.disabled = false;
    err.hidden = false;
    err.textContent = `${e.field ? `${e.field}: ` : ""}${e.message}`;
    if (e.summary) showSummary(e.summary, null);
  });
}

/** What was kept and skipped, and why (also shown again on the session's page). */
function showSummary(s, id) {
  const el = dialog();
  const target = $("#upload-summary", el) ?? $("#upload-body", el);
  const row = (k, v) => `<dt>${esc(k)}</dt><dd>${v}</dd>`;
  const kept = s.kept;
  const sk = s.skipped;
  const un = s.unparsable;
  target.innerHTML = `<dl data-testid="upload-summary">` +
    row("lines", `${num(s.lines)} (${esc(s.format)})`) +
    row("kept", `<b data-testid="summary-allocs">${num(kept.alloc)}</b> allocations, ${num(kept.free)} frees` +
      (kept.split_free ? `, ${num(kept.split_free)} split blocks freed whole` : "") +
      (kept.implicit_free ? `, ${num(kept.implicit_free)} frees the trace missed` : "")) +
    row("skipped", `${num(sk.pre_trace_free)} frees of blocks allocated before the trace, ${num(sk.batched_duplicate)} ` +
      `batched duplicates, ${num(sk.failed_alloc)} failed allocations, ${num(sk.bad_migratetype + sk.order_too_large)} ` +
      `the model cannot take, ${num(sk.partial_free)} partial frees`) +
    row("unparsable", `<span data-testid="summary-unparsable">${num(un.count)}</span>` +
      (un.lines.length ? `<div class="lines">${un.lines.slice(0, 20).map((u) => `line ${u.line}: ${esc(u.why)}`).join("<br>")}</div>` : "")) +
    (s.lost_event_markers ? row("lost", `${num(s.lost_event_markers)} buffer overflow markers: events are missing there`) : "") +
    row("per-cpu lists", esc(s.pcp.explanation)) +
    row("time", `${num(s.time.span_s * 1000)} ms of trace → ${num(s.time.virtual_ms)} ms virtual (scale ${s.time.time_scale})`) +
    `</dl>` + (id ? `<div class="row"><button class="btn primary" id="upload-open" data-testid="upload-open">Play it</button>` +
      `<span class="hint">a new session: step, run the clock, travel in time</span></div>` : "");
  $("#upload-open", el)?.addEventListener("click", () => { location.href = `/s/${id}`; });
  $("#upload-open", el)?.focus();
}

// The session this page opens was made from a trace: its summary once more.
const m = location.pathname.match(/^\/s\/([A-Za-z0-9_-]+)/);
if (m) {
  let s = null;
  try { s = JSON.parse(sessionStorage.getItem(`hl.import.${m[1]}`) ?? "null"); } catch { /* none */ }
  if (s) {
    sessionStorage.removeItem(`hl.import.${m[1]}`);
    showSummary(s, null);
    const head = $("#upload-title");
    if (head) head.textContent = "Imported trace: what was kept and skipped";
    const done = document.createElement("button");
    done.className = "btn primary";
    done.textContent = "Close";
    done.dataset.testid = "upload-close";
    done.addEventListener("click", close);
    $("#upload-summary")?.appendChild(done) ?? $("#upload-body").appendChild(done);
  }
}
