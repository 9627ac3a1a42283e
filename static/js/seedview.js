// The seed patch at some lines, in a dialog: what an event's "seed L2308–2354"
// refers to.  The project does not ship the patch; a server started with
// --seed-file serves its lines (GET /api/seed), otherwise this says where the
// patch can be found.  Loaded on first use.

import { $, esc, num } from "./util.js";

const CONTEXT = 6;

export async function openSeed(lines) {
  const [a, b] = String(lines).split("-").map(Number);
  const dlg = $("#seed-dialog");
  const body = $("#seed-body");
  $("#seed-where").textContent = a === b ? `line ${num(a)}` : `lines ${num(a)}–${num(b)}`;
  body.innerHTML = `<p class="hint">loading…</p>`;
  dlg.hidden = false;
  $("#seed-close").onclick = () => { dlg.hidden = true; };
  dlg.onclick = (e) => { if (e.target === dlg) dlg.hidden = true; };
  $("#seed-close").focus();
  const start = Math.max(1, a - CONTEXT);
  let res;
  let data;
  try {
    res = await fetch(`/api/seed?start=${start}&stop=${Math.min(b + CONTEXT, start + 399)}`);
    data = await res.json();
  } catch {
    body.innerHTML = `<p class="err">The server cannot be reached.</p>`;
    return;
  }
  if (!res.ok) {
    body.innerHTML = `<p data-testid="seed-missing">${esc(data.error?.message ?? "no seed file")}</p>`;
    return;
  }
  $("#seed-where").textContent += ` of ${data.name} (${num(data.total)} lines)`;
  body.innerHTML = `<pre class="seed-lines" data-testid="seed-lines">${data.lines.map((t, i) => {
    const n = data.start + i;
    const cls = n >= a && n <= b ? "hl" : t.startsWith("+") ? "add" : t.startsWith("-") ? "del" : "";
    return `<span class="${cls}" data-line="${n}"><i>${n}</i>${esc(t) || " "}</span>`;
  }).join("")}</pre>`;
  body.querySelector(".hl")?.scrollIntoView({ block: "center" });
}
