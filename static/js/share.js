// Code review and slides: a permalink to the picture shown, the scenario and
// the state as JSON files (export and import), the view as SVG or PNG, and a
// range of steps as an animated GIF or a WebM video.  The picture modules
// (export/*.js) load on first use, so the page itself stays light.

import { makeLink, storeLink } from "./permalink.js";
import { createSession, storeToken } from "./session.js";
import { $, setProp, setText } from "./util.js";

const MAX_FRAMES = 150;
const CHUNK = 50;
const BG = { light: "#F3F4F5", dark: "#111315", projector: "#FFFFFF" };

/** A file name from a title: lower case, dashes, no more than 60 characters. */
export function slug(s) {
  return String(s || "hinting-lab").toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "hinting-lab";
}

/** A range of positions to animate: clamped to 0..length, at most `max` frames; throws in words. */
export function frameRange(from, to, length, max = MAX_FRAMES) {
  if (!Number.isInteger(from) || !Number.isInteger(to)) throw new Error("give whole step numbers");
  if (from < 0 || to > length) throw new Error(`steps go from 0 to ${length}`);
  if (to <= from) throw new Error("the last step must come after the first");
  if (to - from + 1 > max) throw new Error(`at most ${max} frames at once (asked ${to - from + 1})`);
  return { start: from, stop: to, count: to - from + 1 };
}

function saveBlob(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

async function getJson(url) {
  let res;
  try { res = await fetch(url); } catch { throw new Error("the server cannot be reached"); }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error?.message ?? `${res.status} ${res.statusText}`);
  return data;
}

export class Share {
  constructor(ctx) {
    this.ctx = ctx;
    this.busy = false;
    const on = (sel, ev, fn) => $(sel).addEventListener(ev, fn);
    on("#export-dialog", "click", (e) => { if (e.target.id === "export-dialog") this.close(); });
    on("#dlg-copy-link", "click", () => this.copyLink());
    on("#export-scenario", "click", () => this.run("file", () => this.exportScenario()));
    on("#export-state", "click", () => this.run("file", () => this.exportState()));
    on("#import-open", "click", () => $("#import-scenario").click());
    on("#import-scenario", "change", (e) => this.run("import", () => this.importScenario(e.target.files?.[0])));
    on("#export-svg", "click", () => this.run("picture", () => this.picture("svg")));
    on("#export-png", "click", () => this.run("picture", () => this.picture("png")));
    on("#anim-form", "submit", (e) => { e.preventDefault(); this.run("anim", () => this.animation()); });
  }

  open() {
    const { cursor, length } = this.ctx.timeline;
    const tour = this.ctx.tour.span();
    $("#export-dialog").hidden = false;
    const from = tour && cursor >= tour.setup ? tour.setup : Math.max(0, cursor - 10);
    $("#anim-from").value = String(Math.min(from, Math.max(0, cursor - 1)));
    $("#anim-to").value = String(Math.max(cursor, Math.min(length, 1)));
    for (const id of ["#anim-from", "#anim-to"]) $(id).max = String(length);
    setText($("#export-where"), `step ${cursor} of ${length} · zone ${this.ctx.ui.zone} · ${this.theme()} colours`);
    $("#dlg-copy-link").focus();
  }

  close() {
    $("#export-dialog").hidden = true;
  }

  /** Run an export, with its errors next to its row, one at a time. */
  async run(slot, fn) {
    const c = this.ctx.controls;
    if (this.busy) { c.error(slot, { message: "another export is running; wait for it" }); return; }
    this.busy = true;
    c.clearError(slot);
    try {
      await fn();
    } catch (err) {
      c.error(slot, { message: err?.message ?? String(err) });
    } finally {
      this.busy = false;
      this.progress(null);
    }
  }

  progress(text, frac) {
    const box = $("#export-progress-box");
    setProp(box, "hidden", text === null);
    if (text === null) return;
    setText($("#export-status"), text);
    const bar = $("#export-progress");
    if (frac === undefined) bar.removeAttribute("value");
    else bar.value = frac;
  }

  theme() {
    const d = document.documentElement.dataset;
    return d.mode === "projector" ? "projector" : d.theme === "dark" ? "dark" : "light";
  }

  title() {
    const s = this.ctx.session;
    return s?.title || s?.preset || `session ${this.ctx.sessionId}`;
  }

  scenario() {
    return getJson(`/api/sessions/${encodeURIComponent(this.ctx.sessionId)}/scenario`);
  }

  /** The permalink of what is shown: scenario, step, zone and view options. */
  async link() {
    const scenario = await this.scenario();
    const payload = { scenario, step: Math.min(this.ctx.timeline.cursor, scenario.steps.length), view: this.ctx.present.current() };
    const q = new URLSearchParams(location.search);
    const keep = ["theme", "projector"].filter((k) => q.has(k)).map((k) => `${k}=${encodeURIComponent(q.get(k))}`).join("&");
    return makeLink(payload, { origin: location.origin, base: keep ? `/?${keep}` : "/", store: storeLink });
  }

  async copyLink() {
    const c = this.ctx.controls;
    c.clearError("link");
    let link;
    try {
      link = await this.link();
    } catch (err) {
      c.error("link", { message: `no link: ${err.message}` });
      this.ctx.toast(`No link: ${err.message}`);
      return null;
    }
    const out = $("#link-out");
    out.value = link.url;
    setText($("#link-note"), link.stored
      ? `The scenario is long (${link.length.toLocaleString("en-US")} URL characters), so the server keeps it: the link names it.`
      : `${link.url.length.toLocaleString("en-US")} characters; the scenario travels in the link itself (no server state).`);
    let copied = false;
    try { await navigator.clipboard.writeText(link.url); copied = true; } catch { /* shown in the dialog instead */ }
    this.ctx.toast(copied ? `Link to step ${this.ctx.timeline.cursor} copied${link.stored ? " (stored on the server)" : ""}` : "Link ready: copy it from the Export dialog (X)");
    if (!copied) this.open();
    return link;
  }

  async exportScenario() {
    const doc = await this.scenario();
    saveBlob(new Blob([JSON.stringify(doc, null, 1)], { type: "application/json" }), `${slug(this.title())}.scenario.json`);
  }

  async exportState() {
    const doc = await getJson(`/api/sessions/${encodeURIComponent(this.ctx.sessionId)}/state`);
    saveBlob(new Blob([JSON.stringify(doc, null, 1)], { type: "application/json" }),
      `${slug(this.title())}.step-${this.ctx.timeline.cursor}.state.json`);
  }

  /** Start over from a scenario file: this session when it is ours, else a new one. */
  async importScenario(file) {
    if (!file) return;
    $("#import-scenario").value = "";
    let doc;
    try { doc = JSON.parse(await file.text()); } catch (err) { throw new Error(`${file.name} is not JSON: ${err.message}`); }
    if (doc?.format !== "hinting-scenario/1") throw new Error(`${file.name} is not a hinting-scenario/1 document (format: ${doc?.format ?? "none"})`);
    if (this.ctx.ui.role === "controller") {
      const res = await this.ctx.controls.send({ type: "reset", scenario: doc }, "import");
      if (res) { this.ctx.toast(`Imported ${file.name}: ${doc.steps?.length ?? 0} steps`); this.close(); }
      return;
    }
    const s = await createSession({ scenario: doc }).catch((e) => { throw new Error(e.field ? `${e.field}: ${e.message}` : e.message); });
    storeToken(s.id, s.control_token);
    location.href = `/s/${s.id}`;
  }

  svgOf(state, opts = {}) {
    return this.mod("svg").then((m) => m.renderStateSvg(state, {
      zone: this.ctx.ui.zone, width: opts.width ?? 1200, theme: this.theme(), title: opts.title ?? `${this.title()} · step ${this.ctx.timeline.cursor}`,
    }));
  }

  mod(name) {
    return name === "svg" ? import("./export/svg.js") : name === "raster" ? import("./export/raster.js")
      : name === "gif" ? import("./export/gif.js") : import("./export/webm.js");
  }

  async picture(kind) {
    const svg = await this.svgOf(this.ctx.store.toDocument());
    const name = `${slug(this.title())}.step-${this.ctx.timeline.cursor}.${this.ctx.ui.zone}`;
    if (kind === "svg") { saveBlob(new Blob([svg], { type: "image/svg+xml" }), `${name}.svg`); return; }
    const r = await this.mod("raster");
    saveBlob(await r.canvasToPngBlob(await r.svgToCanvas(svg, 2)), `${name}.png`);
  }

  /** Steps from..to as an animated GIF or a WebM video, with progress. */
  async animation() {
    const { length } = this.ctx.timeline;
    const range = frameRange(+$("#anim-from").value, +$("#anim-to").value, length);
    const fps = Math.max(0.5, Math.min(30, +$("#anim-fps").value || 2));
    const width = +$("#anim-width").value || 800;
    const format = $("#anim-format").value;
    const [r, svgMod] = await Promise.all([this.mod("raster"), this.mod("svg")]);
    const id = encodeURIComponent(this.ctx.sessionId);
    const title = this.title();
    // The states, a chunk at a time, turned into pictures as they come; every frame gets one layout
    // (the batch lane drawn, as tall as a full batch needs), so nothing jumps from frame to frame.
    const svgs = [];
    let opts = null;
    // Each frame is a whole state: fewer at once for a big machine (a 1 GiB zone's state is megabytes).
    const pages = this.ctx.store.zones.reduce((n, z) => n + z.pages, 0);
    const chunk = Math.max(2, Math.min(CHUNK, Math.floor((1 << 22) / Math.max(1, pages))));
    for (let a = range.start; a <= range.stop; a += chunk) {
      const b = Math.min(range.stop, a + chunk - 1);
      this.progress(`fetching steps ${a}–${b} of ${range.start}–${range.stop}`, (svgs.length / range.count) * 0.3);
      const data = await getJson(`/api/sessions/${id}/frames?start=${a}&stop=${b}`);
      for (const st of data.frames) {
        opts ??= { zone: this.ctx.ui.zone, width, theme: this.theme() };
        opts.batchRows ??= svgMod.layoutOf(st, opts).batchRows;
        svgs.push(svgMod.renderStateSvg(st, { ...opts, title: `${title} · step ${range.start + svgs.length}` }));
      }
    }
    // Every frame on one canvas size: the tallest picture's.
    const hOf = (s) => +(/<svg\b[^>]*\sheight="([\d.]+)"/.exec(s)?.[1] ?? 0);
    const height = Math.ceil(Math.max(...svgs.map(hOf)));
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const g = canvas.getContext("2d", { willReadFrequently: true });
    const draw = async (i) => {
      const pic = await r.svgToCanvas(svgs[i], 1);
      g.fillStyle = BG[this.theme()];
      g.fillRect(0, 0, width, height);
      g.drawImage(pic, 0, 0);
    };
    const name = `${slug(title)}.steps-${range.start}-${range.stop}`;
    if (format === "webm") {
      const w = await this.mod("webm");
      const why = w.webmUnsupportedReason(canvas);
      if (why) throw new Error(why);
      const blob = await w.recordWebm(canvas, async (i) => {
        this.progress(`recording frame ${i + 1} of ${range.count} (in real time)`, 0.3 + (0.7 * i) / range.count);
        await draw(i);
      }, range.count, fps);
      saveBlob(blob, `${name}.webm`);
      return;
    }
    const gif = await this.mod("gif");
    const frames = [];
    for (let i = 0; i < svgs.length; i++) {
      this.progress(`drawing frame ${i + 1} of ${range.count}`, 0.3 + (0.6 * i) / range.count);
      await draw(i);
      frames.push({ data: g.getImageData(0, 0, width, height).data, width, height });
    }
    this.progress("encoding the GIF", 0.95);
    await new Promise((res) => setTimeout(res, 0));
    const bytes = gif.encodeGif(frames, { width, height, delayCs: Math.round(100 / fps), loop: true });
    saveBlob(new Blob([bytes], { type: "image/gif" }), `${name}.gif`);
  }
}
