// The trace import dialog: choose the design and time scale, upload with a
// progress bar, then what was kept and skipped (docs/trace-import.md).
// Loaded on first use by ../realkernels.js.

import { storeToken } from "../session.js";
import { $, esc, num } from "../util.js";
import { uploadTrace } from "./upload.js";

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

export function openDialog(file) {
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

/** Shown again on the session's page, once, after "Play it". */
export function recallSummary(s) {
  showSummary(s, null);
  const head = $("#upload-title");
  if (head) head.textContent = "Imported trace: what was kept and skipped";
  const done = document.createElement("button");
  done.className = "btn primary";
  done.textContent = "Close";
  done.dataset.testid = "upload-close";
  done.addEventListener("click", close);
  $("#upload-body").appendChild(done);
}
