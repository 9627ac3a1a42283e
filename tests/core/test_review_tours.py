"""The review tours (app/presets/tour-review-N-*.json): one per argument of the seed's review thread.

Each is replayed under both designs, the seed and free page reporting, with
the same steps and hinting fields (core/claims.py), the way compare mode
plays it.  Its `claim` must hold on the figures the model computes, every
prediction's `answer` must be the one choice the model makes true, and the
claim must tell the designs apart (with the two designs' figures swapped it
fails): a claim that a model change stops showing fails here, not on stage.
The citations must be real: thread messages by number and author, seed
functions by the line ranges core/seedref.py pins, in the lab's own words.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from app.presets import load_presets
from core.claims import DESIGN_NAMES, evaluate, narrated_steps, replay_both
from core.seedref import SEED_LINES
from tests.conftest import ROOT

TOUR_DIR = ROOT / "app" / "presets"
SEED = ROOT.parent / "shared" / "seed" / "000_4d67359d60dc2608.txt"
REVIEW = sorted(p.stem for p in TOUR_DIR.glob("tour-review-*.json"))
ARGUMENTS = range(1, 8)  # issue 11's seven arguments
COPY_RUN = 7  # this many words in a row shared with the thread is a quotation


def load(name: str) -> dict[str, Any]:
    return json.loads((TOUR_DIR / f"{name}.json").read_text(encoding="utf-8"))


@cache
def figures(name: str) -> dict[str, dict[int, dict[str, Any]]]:
    return replay_both(load(name))


@cache
def result(name: str) -> dict[str, Any]:
    return evaluate(load(name), figures(name))


def test_one_review_tour_per_argument() -> None:
    args = [load(n)["review"]["argument"] for n in REVIEW]
    assert sorted(args) == list(ARGUMENTS), f"one tour per argument 1..7, got {sorted(args)}"
    for name in REVIEW:
        assert name.startswith(f"tour-review-{load(name)['review']['argument']}-")


@pytest.mark.parametrize("name", REVIEW)
def test_review_tour_document(name: str) -> None:
    doc = load(name)
    assert doc["kind"] == "tour" and doc["compare"] is True, "a review tour opens in compare mode"
    assert "design" not in (doc.get("hinting") or {}), "the same steps run under both designs"
    assert load_presets()[name].summary()["group"] == "review"
    review = doc["review"]
    assert review["thread"], "cite the thread: who argued what, by message"
    for entry in review["thread"]:
        assert isinstance(entry["message"], int) and 1 <= entry["message"] <= 11
        assert entry["who"] and entry["what"].strip()
    assert review["seed"], "cite the seed by function and patch lines"
    for entry in review["seed"]:
        first, last = (int(x) for x in entry["lines"].split("-"))
        assert SEED_LINES.get(entry["function"]) == (first, last), f"{entry} is not core/seedref.py's range"
    text = " ".join([doc["intro"], doc["outro"], doc["claim"]["says"]])
    assert re.search(r"seed lines \d+-\d+", text), "the narrative cites the seed by its lines"
    narrated = narrated_steps(doc)
    asks = [s for s in narrated if "choices" in s.get("predict", {})]
    assert asks, "a review tour asks the learner to predict, then reveals"
    assert all("check" in s["predict"] for s in asks), "every prediction is tied to the model by a check"


@pytest.mark.skipif(not SEED.exists(), reason="the seed file is not here")
@pytest.mark.parametrize("name", REVIEW)
def test_review_tour_cites_the_thread_truthfully_and_in_its_own_words(name: str) -> None:
    seed = SEED.read_text(encoding="utf-8")
    review = load(name)["review"]
    for entry in review["thread"]:
        header = re.search(rf"^(.+?) \w+ \d+, 2019, .* \| #{entry['message']}$", seed, re.M)
        assert header and header.group(1) == entry["who"], f"message {entry['message']} is not {entry['who']}'s"
    words = re.findall(r"[a-z0-9_]+", re.sub(r"^[> ]+", "", seed, flags=re.M).lower())
    runs = {tuple(words[i : i + COPY_RUN]) for i in range(len(words) - COPY_RUN + 1)}
    doc = load(name)
    texts = [doc["intro"], doc["outro"], doc["claim"]["says"], *(e["what"] for e in review["thread"])]
    texts += [s.get("say", "") for s in doc["steps"]]
    texts += [s["predict"].get("reveal", "") for s in doc["steps"] if "predict" in s]
    for text in texts:
        mine = re.findall(r"[a-z0-9_]+", text.lower())
        copied = [" ".join(mine[i : i + COPY_RUN]) for i in range(len(mine) - COPY_RUN + 1)
                  if tuple(mine[i : i + COPY_RUN]) in runs]
        assert not copied, f"quoted from the seed file rather than said in the lab's words: {copied[0]!r}"


@pytest.mark.parametrize("name", REVIEW)
def test_claim_holds_under_both_designs(name: str) -> None:
    claim = result(name)["claim"]
    failed = [f"{c['figure']} {c['args']} at step {c['at']}: {c['values']}, {e}"
              for c in claim["checks"] for e, ok in c["holds"].items() if not ok]
    assert claim["ok"], f"{load(name)['claim']['says']} -- does not hold: " + "; ".join(failed)


@pytest.mark.parametrize("name", REVIEW)
def test_predict_answers_are_the_models(name: str) -> None:
    predicts = result(name)["predicts"]
    assert predicts
    for p in predicts:
        assert p["true"] == [p["answer"]], (
            f"step {p['step']}: the model makes {p['true']} true ({p['values']}), the tour says {p['answer']}")


@pytest.mark.parametrize("name", [n for n in REVIEW if load(n)["claim"].get("contrast", "designs") == "designs"])
def test_claim_tells_the_designs_apart(name: str) -> None:
    """With the seed's figures given to reporting and back, the claim fails: it is about the difference."""
    per = figures(name)
    swapped = {"seed": per["reporting"], "reporting": per["seed"]}
    assert not evaluate(load(name), swapped)["claim"]["ok"]


def test_a_claim_fails_when_the_model_stops_showing_it() -> None:
    """Tour 6's claim rests on the seed's NR_FREE_PAGES drift; a model without it fails the claim."""
    name = next(n for n in REVIEW if load(n)["review"]["argument"] == 6)

    def no_drift(design: str, spec: dict[str, Any], value: Any) -> Any:
        return 0 if design == "seed" and spec["figure"] == "counter_gap" else value

    assert not evaluate(load(name), replay_both(load(name), no_drift))["claim"]["ok"]


def test_designs_are_the_two_the_core_models() -> None:
    from core.designs import DESIGNS

    assert set(DESIGN_NAMES) == set(DESIGNS)


@pytest.mark.parametrize("name", [n for n in REVIEW if load(n)["claim"].get("contrast") == "encodings"])
def test_claim_tells_the_encodings_apart(name: str) -> None:
    """A claim about encodings (the same designs, different bits) fails if PG_dirty's extra writes vanish."""

    def dirty_like_the_others(design: str, spec: dict[str, Any], value: Any) -> Any:
        enc = spec.get("args", {}).get("encoding") or spec.get("args", {}).get("a", {}).get("args", {}).get("encoding")
        return 0 if enc == "dirty-unhinted" else value

    assert not evaluate(load(name), replay_both(load(name), dirty_like_the_others))["claim"]["ok"]
