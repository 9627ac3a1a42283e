// Multiple-choice predictions: what the learner sees before the step and after it.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { askHTML, claimHTML, figureLabel, isChoice, revealHTML } from "../predict.js";

const P = { question: "How many <holds>?", choices: ["one", "nine", "many"], answer: 1, reveal: "Each batch & drain." };

test("a choice prediction is told apart from a boundary one", () => {
  assert.ok(isChoice(P));
  assert.ok(!isChoice({ prompt: "where?", boundary: { order: 2, migratetype: "Movable", zone: "Normal" } }));
  assert.ok(!isChoice(null));
});

test("the question lists numbered choices, escaped, and marks the answer given", () => {
  const html = askHTML(P, undefined, { canPlay: true });
  assert.match(html, /How many &lt;holds&gt;\?/);
  assert.equal(html.match(/data-testid="predict-choice"/g).length, 3);
  assert.match(html, /<kbd>3<\/kbd><span>many<\/span>/);
  assert.doesNotMatch(html, /predict-guess/);
  const chosen = askHTML(P, 2, { canPlay: false });
  assert.match(chosen, /data-choice="2" data-testid="predict-choice" data-value="2" aria-pressed="true"/);
  assert.match(chosen, /your answer: <b>many<\/b>/);
  assert.match(chosen, /revealed when the step is played/);
});

test("the reveal says right or wrong, gives the answer and the reason", () => {
  assert.match(revealHTML(P, 1), /data-right="true".*✓ Right.*The answer: <b data-testid="reveal-answer">nine/s);
  const wrong = revealHTML(P, 0);
  assert.match(wrong, /data-right="false"/);
  assert.match(wrong, /you said: one/);
  assert.match(wrong, /Each batch &amp; drain\./);
  assert.match(revealHTML(P, undefined), /data-right="".*Revealed/s);
});

test("every shipped choice prediction renders, and its answer is one of its choices", () => {
  const dir = new URL("../../../app/presets/", import.meta.url);
  let n = 0;
  for (const f of readdirSync(dir).filter((x) => x.startsWith("tour-"))) {
    const doc = JSON.parse(readFileSync(new URL(f, dir), "utf-8"));
    for (const s of doc.steps.filter((x) => isChoice(x.predict))) {
      assert.ok(s.predict.answer < s.predict.choices.length, f);
      assert.match(revealHTML(s.predict, s.predict.answer), /✓ Right/);
      n += 1;
    }
  }
  assert.ok(n >= 7, `only ${n} choice predictions in the tours`);
});

test("the reveal shows the model's figures for both designs, and the claim its checks", () => {
  assert.match(revealHTML(P, 1, { seed: 9, reporting: 12 }), /the model: seed <b>9<\/b> · reporting <b>12<\/b>/);
  assert.doesNotMatch(revealHTML(P, 1), /the model/);
  assert.equal(figureLabel({ figure: "costs", args: { path: "entries_read" }, since: 5 }), "costs (entries_read) since step 5");
  assert.equal(figureLabel({ figure: "marked_behind", args: { pfn: 48, order: 2, migratetype: "Movable" } }),
    "marked behind (block 48 o2 Movable)");
  const r = { claim: { ok: false, says: "a < b", checks: [
    { figure: "counter_gap", args: {}, at: 4, values: { seed: 4, reporting: 0 }, holds: { "seed == 4": true, "reporting == 0": true } },
    { figure: "is_marked", args: { pfn: 8 }, at: 4, values: { seed: true, reporting: true }, holds: { "reporting == 0": false } }] } };
  const html = claimHTML(r);
  assert.match(html, /data-ok="false".*✗ The claim does not hold/s);
  assert.match(html, /a &lt; b/);
  assert.equal(html.match(/<tr data-ok=/g).length, 2);
  assert.match(html, /<tr data-ok="false"><td>is marked \(block 8\)<\/td><td class="n">4<\/td><td class="n">yes<\/td>/);
});
