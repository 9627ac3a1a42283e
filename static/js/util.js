// Small helpers shared by the views.

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ESC[c]);

const nf = new Intl.NumberFormat("en-US");
export const num = (n) => (n === null || n === undefined ? "—" : nf.format(n));
const nf1 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
export const ms = (t) => (t === null || t === undefined ? "—" : nf1.format(t));

export { MT_SHORT, MT_CLASS } from "./palette.js";

/** "L2308–2354" for a seed line range, or the kernel file the function lives in. */
export function seedRef(ev) {
  if (ev.seed_lines) {
    const [a, b] = ev.seed_lines;
    return a === b ? `seed L${a}` : `seed L${a}–${b}`;
  }
  if (ev.kernel_file) return ev.kernel_file;
  return "";
}

/** Create an element from an HTML string (one root). */
export function html(str) {
  const t = document.createElement("template");
  t.innerHTML = str.trim();
  return t.content.firstElementChild;
}

/** The theme colours the canvases need, read once per theme change. */
export function cssColours(root = document.documentElement) {
  const cs = getComputedStyle(root);
  const get = (n) => cs.getPropertyValue(n).trim();
  return {
    Unmovable: get("--mt-unmovable"), Movable: get("--mt-movable"), Reclaimable: get("--mt-reclaimable"),
    HighAtomic: get("--mt-highatomic"), Isolate: get("--mt-isolate"),
    hinted: get("--hinted"), hintedLight: get("--hinted-light"), hintedDark: get("--hinted-dark"),
    inflight: get("--inflight"), inflightPale: get("--inflight-pale"), anomaly: get("--anomaly"),
    ink: get("--ink"), ink2: get("--ink-2"), ink3: get("--ink-3"), free: get("--free"), panel: get("--panel"),
    line: get("--line"), page: get("--page"), nonres: get("--nonres"), sel: get("--sel"),
    mono: get("--mono") || "monospace",
  };
}

export const sleep = (t) => new Promise((r) => setTimeout(r, t));

/**
 * A feature's stylesheet, added once; resolves once it applies (or failed: the feature shows, plainer), so a
 * feature can wait to draw rather than show itself unstyled for a frame.  A link the page's head wrote
 * itself is ready already.
 */
export function needStyle(href, id = undefined) {
  let link = id ? document.getElementById(id) : document.querySelector(`link[href="${href}"]`);
  if (!link) {
    link = Object.assign(document.createElement("link"), { rel: "stylesheet", href }, id ? { id } : {});
    link.ready = new Promise((r) => { link.onload = link.onerror = r; });
    document.head.appendChild(link);
  }
  return link.ready ?? Promise.resolve();
}

/** The projector, embed and phone layouts (css/layouts.css), loaded on entering one; resolves once usable. */
export const needLayouts = () => needStyle("/static/css/layouts.css", "layouts-css");

// Writes that skip themselves when nothing changed: a DOM write, even of the
// same value, invalidates style and layout, and the page writes every frame.
export function setHTML(el, h) {
  if (el.__html !== h) { el.__html = h; el.innerHTML = h; }
}
export function setText(el, t) {
  if (el.__text !== t) { el.__text = t; el.textContent = t; }
}
export function setAttr(el, name, value) {
  const v = String(value);
  if (el.getAttribute(name) !== v) el.setAttribute(name, v);
}
export function setProp(el, name, value) {
  if (el[name] !== value) el[name] = value;
}
