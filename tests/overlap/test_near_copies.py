"""The engine's near copies against the exhaustive oracle, on a small sample: bench/near_copies.py measures more.

A corpus of real documents (Shakespeare, the Four Books, standard-library modules) indexed with the CLI; 60
edited copies of indexed passages embedded in text of held-out documents, and 60 outputs of held-out text only.
The oracle (tests/overlap/oracle.py) says which outputs hold a near copy of which document; the engine must find
those (recall among the oracle's positives) and nothing else.
"""

from __future__ import annotations

import pytest

from .near_truth import (
    TARGETS,
    Judge,
    corpus,
    in_target,
    make_cases,
    make_negatives,
    misses,
    summarise,
    table,
    write_manifest,
)
from .near_truth import build_index as build

SEED = 7
CASES, NEGATIVES = 60, 60
# the targets' conditions, and code renames; 5 cases each
CONDITIONS = [
    *[
        (language, kind, params)
        for language in ("en", "zh")
        for kind, params in (
            ("substitute", {"rate": 1 / 5, "mode": "random"}),
            ("substitute", {"rate": 1 / 5, "mode": "periodic"}),
            ("substitute", {"rate": 1 / 8, "mode": "random"}),
            ("indel", {"rate": 1 / 8}),
        )
    ],
    *[("code", "rename", {"count": count}) for count in (2, 3, 3, 4)],
]
# a Chinese passage under ~150 characters cannot be a block: draw longer ones, so that most cases count
PASSAGES = {"en": (50, 300), "zh": (160, 300), "code": (50, 300)}


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    root = tmp_path_factory.mktemp("near-copies")
    docs = corpus(16, 16, 16)
    build(write_manifest(root / "corpus", docs), root / "index")
    judge = Judge(docs, root / "index")
    outputs = make_cases(docs, CONDITIONS, CASES, SEED, PASSAGES) + make_negatives(docs, NEGATIVES, SEED)
    return [judge.judge(case, f"case-{k}") for k, case in enumerate(outputs)]


def _report(judged, items) -> str:
    return table(summarise(judged)) + "\n\nmisses:\n" + "\n".join(repr(m) for m in misses(items))


def _group(judged, target: str) -> list[dict]:
    return [
        item
        for item in judged
        if item["record"]["kind"] != "none"
        and in_target(item["record"]["language"], item["record"]["kind"], item["record"]["params"]) == target
    ]


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_recall_among_the_oracles_positives(judged, target):
    items = _group(judged, target)
    positive = [i for i in items if i["oracle"]["positive_docs"]]
    assert len(positive) >= len(items) // 2, "too few oracle positives to measure: " + _report(judged, items)
    for measure in ("candidate_hit", "block_hit", "verdict_hit"):
        recall = sum(i[measure] for i in positive) / len(positive)
        assert recall >= TARGETS[target], f"{measure} {recall:.3f} < {TARGETS[target]}\n" + _report(judged, positive)


def test_no_false_positives(judged):
    wrong = [i for i in judged if i["false_blocks"] or i["false_verdict"]]
    assert not wrong, _report(judged, wrong)


def test_negatives_are_negatives_for_the_oracle_too(judged):
    """Held-out text shares phrases with the corpus, not 150-character near copies: the negatives measure."""
    negatives = [i for i in judged if i["record"]["kind"] == "none"]
    assert len(negatives) == NEGATIVES
    assert sum(bool(i["oracle"]["positive_docs"]) for i in negatives) <= NEGATIVES // 10
