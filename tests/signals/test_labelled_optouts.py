"""Precision and recall of the TDM / AI-training opt-out detector on a labelled set of real wording (issue 17).

The set is tests/signals/labelled/optouts.yaml: robots.txt and ai.txt files, TDMRep metas, headers and
tdmrep.json files, Content-Signal lines, noai metas and terms clauses, each labelled ``opt-out`` or
``none`` by what the document says (see the file's header). A document counts as opted out when
``DocumentAnalyser.opt_outs`` returns any signal for it, called as the corpus analyser calls it.

``pytest -s`` prints the table; ``python -m tests.signals.test_labelled_optouts`` prints it alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from licenselens.corpus.analyser import DocumentAnalyser
from licenselens.signals.anchors import lowered

# the tuning set, and a second one written afterwards from other sources without sight of the patterns
# (its first figures, before anything was changed for it, are in docs/privacy.md)
SETS = tuple(Path(__file__).resolve().parent / "labelled" / name for name in ("optouts.yaml", "optouts_holdout.yaml"))
LABELS = ("opt-out", "none")
FORMS = ("terms", "robots", "ai-txt", "tdmrep-meta", "tdmrep-header", "tdmrep-json", "content-signal", "noai-meta")
LANGS = ("en", "zh-Hans", "zh-Hant", "de", "fr", "ja")
TARGET = 0.95  # issue 17: precision and recall both at least this
MIN_PER_LABEL = 100


@dataclass(frozen=True)
class Outcome:
    item: dict
    signals: tuple[str, ...]

    @property
    def expected(self) -> bool:
        return self.item["label"] == "opt-out"

    @property
    def found(self) -> bool:
        return bool(self.signals)

    @property
    def wrong(self) -> bool:
        return self.expected != self.found


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def load_items(paths: tuple[Path, ...] = SETS) -> list[dict]:
    return [item for path in paths for item in yaml.safe_load(path.read_text(encoding="utf-8"))]


def detect(analyser: DocumentAnalyser, text: str, name: str | None) -> tuple[str, ...]:
    low = lowered(text)
    anchors = analyser.scanner.scan(low)
    return tuple(signal for signal, _ in analyser.opt_outs(text, low, anchors, name))


@cache
def outcomes() -> tuple[Outcome, ...]:
    analyser = DocumentAnalyser()
    return tuple(Outcome(item, detect(analyser, item["text"], item.get("name"))) for item in load_items())


def score(results) -> Score:
    counts = Counter((o.expected, o.found) for o in results)
    return Score(tp=counts[True, True], fp=counts[False, True], fn=counts[True, False], tn=counts[False, False])


def table(results=None) -> str:
    results = outcomes() if results is None else results
    rows = [("all", score(results), len(results))]
    for key, values in (("form", FORMS), ("lang", LANGS)):
        for value in values:
            group = [o for o in results if o.item[key] == value]
            rows.append((f"{key}={value}", score(group), len(group)))
    lines = [f"{'group':<22} {'items':>5} {'tp':>4} {'fp':>4} {'fn':>4} {'tn':>4} {'precision':>9} {'recall':>7}"]
    for name, s, n in rows:
        lines.append(f"{name:<22} {n:>5} {s.tp:>4} {s.fp:>4} {s.fn:>4} {s.tn:>4} {s.precision:>9.3f} {s.recall:>7.3f}")
    return "\n".join(lines)


def per_set(results) -> str:
    lines = []
    for path in SETS:
        ids = {item["id"] for item in load_items((path,))}
        mine = score([o for o in results if o.item["id"] in ids])
        lines.append(f"{path.name}: precision {mine.precision:.3f}, recall {mine.recall:.3f}, {len(ids)} items")
    return "\n".join(lines)


def misclassified(results=None) -> str:
    results = outcomes() if results is None else results
    lines = []
    for o in results:
        if o.wrong:
            kind = "missed" if o.expected else f"false alarm {list(o.signals)}"
            excerpt = o.item["text"][:100].replace("\n", "\\n")
            lines.append(f"  {o.item['id']} ({o.item['form']}, {o.item['lang']}): {kind}: {excerpt}")
    return "\n".join(lines)


def test_the_set_is_large_and_covers_every_form_and_language():
    items = load_items()
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), "duplicate ids"
    labels = Counter(item["label"] for item in items)
    assert set(labels) <= set(LABELS)
    for label in LABELS:
        assert labels[label] >= MIN_PER_LABEL, f"{labels[label]} items labelled {label}"
    assert {item["form"] for item in items} == set(FORMS)
    assert {item["lang"] for item in items} == set(LANGS)
    for item in items:
        assert item["text"].strip() and item["source"].strip(), item["id"]
        assert set(item) <= {"id", "label", "form", "lang", "text", "name", "source", "note"}, item["id"]


def test_precision_and_recall_on_the_labelled_sets():
    results = outcomes()
    overall = score(results)
    print("\n" + table(results))
    print(per_set(results))
    wrong = misclassified(results)
    assert overall.precision >= TARGET and overall.recall >= TARGET, (
        f"precision {overall.precision:.3f}, recall {overall.recall:.3f} (target {TARGET}); misclassified:\n{wrong}"
    )


if __name__ == "__main__":
    print(table())
    print(per_set(outcomes()))
    wrong = misclassified()
    if wrong:
        print("\nmisclassified:\n" + wrong)
