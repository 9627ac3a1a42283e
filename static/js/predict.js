// Multiple-choice predictions in a tour: {"question", "choices", "answer", "reveal"} on a step
// (app/presets.py).  The player stops before such a step and asks; the learner answers with a click,
// a number key, or the arrows and Enter; only then is the step played and the answer revealed: right
// or wrong, the right choice, and why.  Each viewer answers on their own device, the audience's phones
// included.  Loaded with the first tour that asks such a question (tour.js).

import { esc } from "./util.js";

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

/** The reveal after the step: right or wrong (when the viewer answered), the right choice, and why. */
export function revealHTML(p, guess) {
  const answered = guess !== undefined;
  const right = answered && guess === p.answer;
  const verdict = !answered ? "Revealed" : right ? "✓ Right" : "✗ Not this time";
  return `<div class="tour-reveal choice" data-testid="tour-reveal" data-right="${answered ? right : ""}" role="status">` +
    `<div><b data-testid="reveal-verdict">${verdict}.</b> The answer: <b data-testid="reveal-answer">${esc(p.choices[p.answer])}</b>` +
    `${answered && !right ? ` <span class="said">(you said: ${esc(p.choices[guess])})</span>` : ""}</div>` +
    `<p data-testid="reveal-why">${esc(p.reveal)}</p></div>`;
}

/** Load the stylesheet once (it belongs to this feature, not to the first page load). */
export function ensureStyle() {
  if (document.querySelector(`link[href="${CSS}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = CSS;
  document.head.append(link);
}

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
