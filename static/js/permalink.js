// Permalinks: a URL that reproduces a picture with no server state.  The
// scenario, the step shown and the view travel in the URL fragment (never
// sent to a server), as JSON compressed with deflate-raw and base64url'd.  A
// scenario too long for a URL is stored instead (POST /api/links) and the
// link names it: /l/<id>.

export const LINK_VERSION = 1;
export const MAX_URL = 6000;

export function b64urlEncode(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function b64urlDecode(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("the link is damaged (it has characters base64url does not use)");
  const b = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

async function through(bytes, stream) {
  const s = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/** {scenario, step, view} -> the fragment's code. */
export async function encodePayload({ scenario, step, view }) {
  const json = JSON.stringify({ v: LINK_VERSION, scenario, step, view: view ?? null });
  return b64urlEncode(await through(new TextEncoder().encode(json), new CompressionStream("deflate-raw")));
}

/** The fragment's code -> {scenario, step, view}; throws an Error in words when it cannot. */
export async function decodePayload(code) {
  let json;
  try {
    json = new TextDecoder().decode(await through(b64urlDecode(code), new DecompressionStream("deflate-raw")));
  } catch {
    throw new Error("the link is damaged or cut short (its data does not decompress); copy it again, whole");
  }
  return checkPayload(JSON.parse(json));
}

/** Check a link's payload (from a fragment or a stored link). */
export function checkPayload(p) {
  if (!p || typeof p !== "object") throw new Error("the link holds no scenario");
  if (p.v !== undefined && p.v !== LINK_VERSION) throw new Error(`the link is of version ${p.v}; this page reads ${LINK_VERSION}`);
  if (!p.scenario || typeof p.scenario !== "object" || !Array.isArray(p.scenario.steps)) {
    throw new Error("the link holds no hinting-scenario/1 document");
  }
  const n = p.scenario.steps.length;
  const step = p.step === undefined || p.step === null ? n : p.step;
  if (!Number.isInteger(step) || step < 0 || step > n) throw new Error(`the link's step ${p.step} is not in 0..${n}`);
  const view = p.view && typeof p.view === "object" ? p.view : null;
  return { scenario: p.scenario, step, view };
}

/** The code in a location hash ("#p=<code>"), or null. */
export function codeFromHash(hash) {
  const m = /(?:^#|&)p=([A-Za-z0-9_-]+)/.exec(hash ?? "");
  return m ? m[1] : null;
}

/**
 * The permalink for a payload: `${base}#p=<code>`, or, past `maxLen`
 * characters, the stored link `store(payload)` answers ({url}).
 */
export async function makeLink(payload, { origin, base = "/", maxLen = MAX_URL, store } = {}) {
  const url = `${origin}${base}#p=${await encodePayload(payload)}`;
  if (url.length <= maxLen || !store) return { url, stored: false, length: url.length };
  const res = await store({ scenario: payload.scenario, step: payload.step, view: payload.view ?? null });
  return { url: `${origin}${res.url}`, stored: true, length: url.length };
}

/** POST /api/links: rejects with an Error in words. */
export async function storeLink(body) {
  let res;
  try {
    res = await fetch("/api/links", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  } catch {
    throw new Error("the server cannot be reached to store the link");
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error ? `${data.error.field ? `${data.error.field}: ` : ""}${data.error.message}` : res.statusText);
  return data;
}
