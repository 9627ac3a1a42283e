// Real kernels in the dashboard: a "This machine" link and trace import
// (a button, or drop a trace anywhere on the page).  Registered by one
// <script> line in index.html; the dialog, the upload and their styles
// (live/dialog.js, live/upload.js, css/live.css) load on first use.

import { needStyle } from "./util.js";

let dialogModule = null;
function dialogs() {
  if (!dialogModule) {
    needStyle("/static/css/live.css");
    dialogModule = import("./live/dialog.js");
  }
  return dialogModule;
}
const openDialog = (file) => dialogs().then((d) => d.openDialog(file));

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
    dialogs();
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

// The session this page opens was made from a trace: its summary once more.
const m = location.pathname.match(/^\/s\/([A-Za-z0-9_-]+)/);
let pendingSummary = null;
try { pendingSummary = m && sessionStorage.getItem(`hl.import.${m[1]}`); } catch { /* private mode */ }
if (pendingSummary) {
  sessionStorage.removeItem(`hl.import.${m[1]}`);
  dialogs().then((d) => d.recallSummary(JSON.parse(pendingSummary)));
}
