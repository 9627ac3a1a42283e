// Multiple-choice predictions in a tour: {"question", "choices", "answer", "reveal"} on a step
// (app/presets.py).  The player stops before such a step and asks; the learner answers with a click,
// a number key, or the arrows and Enter; only then is the step played and the answer revealed: right
// or wrong, the right choice, why, and what the model computed for it under both designs.  Each viewer
// answers on their own device, the audience's phones included.  A tour with a `claim` shows it at its
// end with the model's figures (GET /api/presets/NAME/claim).  Loaded with the first tour that asks
// such a question: `attach(tour)` gives tour.js the few hooks it calls.

import { esc, needStyle } from "./util.js";

const CSS = "/static/css/predict.css";

/** Is this prediction a multiple-choice one? */
export function isChoice(p) {
  return !!p && Array.isArray(p.choices) && Number.isInteger(p.answer);
}

/** The question before the step. `guess`: the index chosen (undefined: none yet). */
export function askHTML(p, guess, { canPlay }) {
  const items = p.choices.map((c, i) => {
    const on = guess === i;
    return `<li><button class="btn choice${on ? " on" : ""}" data-choice="${i}" data-testid="predict-choice"` +
      ` data-value="${i}" aria-pressed="${on}"><kbd>${i + 1}</kbd><span>${esc(c)}</span></button></li>`;
  }).join("");
  const how = canPlay ? `Answer with a click or <kbd>1</kbd>–<kbd>${p.choices.length}</kbd> (arrows and Enter work too): the step then plays and the answer is revealed.`
    : "Answer on your device; the answer is revealed when the step is played.";
  return `<div class="tour-predict choices" data-testid="tour-predict" data-kind="choice">` +
    `<div class="q"><b>Predict:</b> ${esc(p.question)}</div>` +
    `<ol class="predict-choices" role="group" aria-label="your prediction">${items}</ol>` +
    `<div class="hint">${how}</div>` +
    `${guess !== undefined ? `<div class="hint" data-testid="predict-guess">your answer: <b>${esc(p.choices[guess])}</b></div>` : ""}` +
    `</div>`;
}

/** The reveal after the step: right or wrong (when the viewer answered), the right choice, and why; `model`:
 *  what the model computed for the question under both designs ({seed, reporting}), when known. */
export function revealHTML(p, guess, model = null) {
  const answered = guess !== undefined;
  const right = answered && guess === p.answer;
  const verdict = !answered ? "Revealed" : right ? "✓ Right" : "✗ Not this time";
  return `<div class="tour-reveal choice" data-testid="tour-reveal" data-right="${answered ? right : ""}" role="status">` +
    `<div><b data-testid="reveal-verdict">${verdict}.</b> The answer: <b data-testid="reveal-answer">${esc(p.choices[p.answer])}</b>` +
    `${answered && !right ? ` <span class="said">(you said: ${esc(p.choices[guess])})</span>` : ""}</div>` +
    `<p data-testid="reveal-why">${esc(p.reveal)}</p>` +
    `${model ? `<div class="model" data-testid="reveal-model">the model: ${designValues(model)}</div>` : ""}</div>`;
}

const show = (v) => (v === true ? "yes" : v === false ? "no" : v === null || v === undefined ? "–" : String(v));
const designValues = (v) => `seed <b>${esc(show(v.seed))}</b> · reporting <b>${esc(show(v.reporting))}</b>`;

/** A figure in words: its name and what it reads ("costs lock.holds", "page 16 makedumpfile.verdict"). */
export function figureLabel(c) {
  const a = c.args ?? {};
  const what = [a.pfn !== undefined ? `block ${a.pfn}` : "", a.order !== undefined ? `o${a.order} ${a.migratetype ?? ""}` : "",
    a.encoding ?? "", a.path ?? a.field ?? ""].filter(Boolean).join(" ");
  return `${c.figure.replaceAll("_", " ")}${what ? ` (${what})` : ""}${c.since !== undefined && c.since !== null ? ` since step ${c.since}` : ""}`;
}

/** The tour's claim with the model's figures under both designs (GET /api/presets/NAME/claim). */
export function claimHTML(r) {
  const rows = r.claim.checks.map((c) => {
    const ok = Object.values(c.holds).every(Boolean);
    return `<tr data-ok="${ok}"><td>${esc(figureLabel(c))}</td><td class="n">${c.at}</td>` +
      `<td class="n">${esc(show(c.values.seed))}</td><td class="n">${esc(show(c.values.reporting))}</td>` +
      `<td>${ok ? "✓" : "✗"} ${esc(Object.keys(c.holds).join(", "))}</td></tr>`;
  }).join("");
  return `<div class="tour-claim" data-testid="tour-claim" data-ok="${r.claim.ok}">` +
    `<div><b>${r.claim.ok ? "✓ The claim holds" : "✗ The claim does not hold"}</b>, computed by the model under both designs:</div>` +
    `<p>${esc(r.claim.says)}</p>` +
    `<table><thead><tr><th>figure</th><th>after step</th><th>seed</th><th>reporting</th><th>must</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></div>`;
}

/**
 * The stylesheet (this feature's, not the first page load's); a question waits for it, never drawn unstyled
 * (on a phone, its choices were thumb-sized a frame late).
 */
export const ensureStyle = () => needStyle(CSS);

/**
 * Keys while a question is on screen: 1..n answer (before the dashboard's own use of digits, which
 * picks a zone); the arrows move between the choices once one has the focus; Enter answers with the
 * focused one (a button's own behaviour).  `pending()` returns the question or null.
 */
export function installKeys(root, pending, answer) {
  document.addEventListener("keydown", (e) => {
    const p = pending();
    if (!p || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) return;
    if ([...document.querySelectorAll(".overlay")].some((o) => !o.hidden)) return; // a dialog has the keys
    const n = p.choices.length;
    if (/^[1-9]$/.test(e.key) && +e.key <= n) {
      e.preventDefault();
      e.stopImmediatePropagation();
      answer(+e.key - 1);
      return;
    }
    const box = root.querySelector(".predict-choices");
    if (!box || !box.contains(t)) return;
    const delta = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[e.key];
    if (delta === undefined && e.key !== "Home" && e.key !== "End") return;
    e.preventDefault();
    e.stopImmediatePropagation(); // the arrows travel the timeline elsewhere
    const buttons = [...box.querySelectorAll("button")];
    const i = buttons.indexOf(t.closest("button"));
    const to = e.key === "Home" ? 0 : e.key === "End" ? n - 1 : (i + delta + n) % n;
    buttons[to]?.focus();
  }, true);
}

/** The hooks tour.js calls; the answers live in the tour's `guesses` (position -> answer), as its boundary guesses. */
export async function attach(tour) {
  await ensureStyle();
  let figures = null; // GET /api/presets/NAME/claim for the tour on screen
  let shownAt = null;
  let focusNext = false;
  const at = (p) => (tour.model && p >= 0 && p < tour.model.steps.length ? tour.model.steps[p].predict : null);
  const pending = () => {
    const ask = tour.model ? at(tour.pos()) : null;
    return isChoice(ask) && tour.offPath() < 0 ? ask : null;
  };
  const answer = (i) => {
    const ask = pending();
    if (!ask || !(i >= 0 && i < ask.choices.length)) return null;
    tour.guesses.set(tour.pos(), i);
    tour.ctx.invalidate({ tour: true });
    const { ui } = tour.ctx;
    if (ui.role !== "controller" || ui.status !== "live") return null; // a viewer's answer stays on the device
    focusNext = true;
    return tour.next(); // plays the step: the reveal
  };
  tour.el.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-choice]");
    if (b) answer(+b.dataset.choice);
  });
  installKeys(tour.el, pending, answer);
  return {
    load(name, doc) {
      figures = null;
      if (!doc?.claim) return;
      fetch(`/api/presets/${encodeURIComponent(name)}/claim`).then((r) => (r.ok ? r.json() : null)).then((r) => {
        if (r && tour.name === name) { figures = r; tour.ctx.invalidate({ tour: true }); }
      }).catch(() => {}); // the narrative stands without the figures
    },
    /** Next before the answer: say so and refuse. */
    refuse(p) {
      const ask = pending();
      if (!ask || tour.guesses.has(p)) return false;
      tour.ctx.controls.error("tour", { message: `answer the question first (1-${ask.choices.length}): the step reveals the answer` });
      return true;
    },
    /** Whether Next waits for an answer at position p. */
    waiting: (p) => !!pending() && !tour.guesses.has(p),
    /** After step p: the reveal of its question, if it asked one. */
    reveal(p, off) {
      const asked = at(p - 1);
      if (off >= 0 || !isChoice(asked)) return "";
      return revealHTML(asked, tour.guesses.get(p - 1), figures?.predicts?.find((q) => q.step === p)?.values ?? null);
    },
    /** Before step p + 1: its question; after the last step, the tour's claim. */
    ask(p, off, ro) {
      if (off >= 0) return "";
      if (p === tour.model.steps.length) return figures?.claim ? claimHTML(figures) : "";
      const ask = at(p);
      return isChoice(ask) ? askHTML(ask, tour.guesses.get(p), { canPlay: !ro }) : "";
    },
    /** After a redraw: focus Next once answered; bring a new question into the panel's view (the projector scrolls it). */
    drawn(p) {
      if (focusNext) { focusNext = false; tour.el.querySelector('[data-act="next"]')?.focus(); }
      const q = tour.el.querySelector('[data-kind="choice"]');
      if (q && shownAt !== p) { shownAt = p; q.scrollIntoView({ block: "nearest" }); }
    },
  };
}
