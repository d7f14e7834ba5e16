"""Measuring the engine's near copies against the oracle: corpora, the index build, cases and their scores.

Shared by tests/overlap/test_near_copies.py (a small sample, its targets asserted) and bench/near_copies.py
(the full measurement). Nothing here reads licenselens's near-copy code: the index is built with the CLI, and
each output is checked through ``OverlapIndex.check`` and ``near_candidates`` only.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz.distance import Levenshtein

from licenselens.tokens import tokens as token_strings

from .edit_model import Case, Doc, make_case, vocabulary
from .oracle import MIN_SIMILARITY, Oracle

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
STDLIB = Path(sysconfig.get_paths()["stdlib"])
MIN_CHARS = 150
COPYING = ("verbatim", "near-verbatim")
DATASETS = {"en": "en-plays", "zh": "zh-classics", "code": "py-stdlib"}
LICENSES = {"en": "LicenseRef-scancode-public-domain", "zh": "LicenseRef-scancode-public-domain", "code": "PSF-2.0"}


# --- real documents -----------------------------------------------------------------------------------------


def shakespeare_docs(count: int, chars: int = 10_000) -> list[Doc]:
    """tinyshakespeare cut at blank lines into parts of about ``chars`` characters (it marks no plays)."""
    text = (SHARED / "tinyshakespeare.txt").read_text(encoding="utf-8")
    docs: list[Doc] = []
    start = 0
    while start < len(text) and len(docs) < count:
        cut = text.find("\n\n", start + chars)
        end = len(text) if cut < 0 else cut + 2
        docs.append(Doc(DATASETS["en"], f"shakespeare-{len(docs):03d}", "en", text[start:end]))
        start = end
    return docs


def chinese_docs(count: int) -> list[Doc]:
    """Chapters of the Four Books, one document each (paragraphs joined by newlines)."""
    docs = []
    for path in sorted(SHARED.glob("sishu_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for chapter in data if isinstance(data, list) else [data]:
            doc_id = f"{path.stem}-{chapter['chapter']}"
            docs.append(Doc(DATASETS["zh"], doc_id, "zh", "\n".join(chapter["paragraphs"])))
    rng = random.Random(0)  # the books are uneven: a fixed shuffle mixes them
    rng.shuffle(docs)
    return docs[:count]


def code_docs(count: int, low: int = 4_000, high: int = 30_000) -> list[Doc]:
    """Python modules of the standard library (top level, sorted), every k-th of those in the size range."""
    files = sorted(p for p in STDLIB.glob("*.py") if low <= p.stat().st_size <= high)
    step = max(1, len(files) // max(1, count))
    docs = []
    for path in files[::step][:count]:
        docs.append(Doc(DATASETS["code"], path.name, "code", path.read_text(encoding="utf-8")))
    return docs


@dataclass
class Corpus:
    indexed: dict[str, list[Doc]]  # language -> documents in the index
    held_out: dict[str, list[Doc]]  # language -> documents of the same kinds, not indexed

    def all_indexed(self) -> list[Doc]:
        return [d for docs in self.indexed.values() for d in docs]


def corpus(en: int, zh: int, code: int, held_every: int = 4) -> Corpus:
    """Every ``held_every``-th document of each kind is held out (fillers and negatives), the rest indexed."""
    indexed, held = {}, {}
    for language, docs in (("en", shakespeare_docs(en)), ("zh", chinese_docs(zh)), ("code", code_docs(code))):
        held[language] = [d for k, d in enumerate(docs) if k % held_every == held_every - 1]
        indexed[language] = [d for k, d in enumerate(docs) if k % held_every != held_every - 1]
    return Corpus(indexed, held)


def write_manifest(directory: Path, corpus: Corpus) -> Path:
    """One JSONL dataset per language and the licenselens manifest naming them."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    for language, docs in corpus.indexed.items():
        name = DATASETS[language]
        with open(directory / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for doc in docs:
                fh.write(json.dumps({"id": doc.doc_id, "text": doc.text}, ensure_ascii=False) + "\n")
        lines += [
            "[[datasets]]",
            f'name = "{name}"',
            'stage = "pretraining"',
            f'kind = "{"code" if language == "code" else "books"}"',
            f'paths = ["{name}.jsonl"]',
            'format = "jsonl"',
            'text_field = "text"',
            'id_field = "id"',
            f'license = "{LICENSES[language]}"',
            "",
        ]
    manifest = directory / "licenselens.toml"
    manifest.write_text("\n".join(lines), encoding="utf-8")
    return manifest


def build_index(manifest: Path, index_dir: Path, jobs: int = 2) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "licenselens"), "index", "build", str(manifest)]
    proc = subprocess.run(command + ["-o", str(index_dir), "-j", str(jobs)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"index build failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


# --- cases --------------------------------------------------------------------------------------------------

# (language, kind, params): the conditions measured, each reported on its own
CONDITIONS: list[tuple[str, str, dict]] = [
    *[
        (language, "substitute", {"rate": rate, "mode": mode})
        for language in ("en", "zh")
        for rate in (1 / 4, 1 / 5, 1 / 6, 1 / 8, 1 / 12)
        for mode in ("random", "periodic")
    ],
    *[(language, "indel", {"rate": rate}) for language in ("en", "zh") for rate in (1 / 6, 1 / 8, 1 / 12)],
    *[(language, "reorder", {"swaps": swaps}) for language in ("en", "zh") for swaps in (1, 3)],
    *[("code", "rename", {"count": count}) for count in (2, 3, 4)],
    *[("code", "literals", {"count": count}) for count in (2, 4)],
    ("code", "substitute", {"rate": 1 / 8, "mode": "random"}),
    ("code", "indel", {"rate": 1 / 8}),
]


def in_target(language: str, kind: str, params: dict) -> str | None:
    """Which target a condition counts towards: the edit rates the engine must find almost always."""
    if language in ("en", "zh") and kind == "substitute" and params["rate"] <= 1 / 5 + 1e-9:
        return "text"
    if language in ("en", "zh") and kind == "indel" and params["rate"] <= 1 / 8 + 1e-9:
        return "text"
    if language == "code" and kind == "rename":
        return "code-rename"
    return None


TARGETS = {"text": 0.95, "code-rename": 0.90}


def make_cases(
    corpus: Corpus,
    conditions: Sequence[tuple[str, str, dict]],
    count: int,
    seed: int,
    passage_tokens: dict[str, tuple[int, int]] | None = None,
) -> list[Case]:
    """``count`` cases, the conditions in turn; case k has seed ``seed * 1_000_003 + k`` (logged)."""
    vocab = {lang: vocabulary(corpus.held_out[lang], lang) for lang in corpus.indexed}
    cases = []
    for k in range(count):
        language, kind, params = conditions[k % len(conditions)]
        tokens = (passage_tokens or {}).get(language, (50, 300))
        case = make_case(
            seed * 1_000_003 + k,
            kind,
            params,
            corpus.indexed[language],
            corpus.held_out[language],
            vocab[language],
            tokens,
        )
        case.record["condition"] = condition_name(language, kind, params)
        cases.append(case)
    return cases


def make_negatives(corpus: Corpus, count: int, seed: int) -> list[Case]:
    """Outputs of held-out text only: a held-out passage between held-out fillers, the languages in turn."""
    languages = list(corpus.held_out)
    negatives = []
    for k in range(count):
        language = languages[k % len(languages)]
        docs = corpus.held_out[language]
        case = make_case(seed * 1_000_003 + 500_000 + k, "none", {}, docs, docs, [], (50, 300))
        case.record["condition"] = f"{language} negative"
        negatives.append(case)
    return negatives


def condition_name(language: str, kind: str, params: dict) -> str:
    if "rate" in params:
        detail = f"1/{round(1 / params['rate'])}" + (f" {params['mode']}" if "mode" in params else "")
    else:
        detail = " ".join(f"{k}={v}" for k, v in params.items())
    return f"{language} {kind} {detail}".strip()


# --- scoring ------------------------------------------------------------------------------------------------


def wilson(hits: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (95 % by default)."""
    if not total:
        return (0.0, 1.0)
    p = hits / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


class Judge:
    """The oracle over the indexed documents and the engine's index, judging outputs the same way."""

    def __init__(self, corpus: Corpus, index_dir: Path):
        from licenselens.overlap import OverlapIndex

        self.docs = corpus.all_indexed()
        self.keys = [(d.dataset, d.doc_id) for d in self.docs]
        self.by_key = {key: doc for key, doc in zip(self.keys, self.docs)}
        self.oracle = Oracle([d.text for d in self.docs], MIN_CHARS)
        self.index = OverlapIndex(str(index_dir))

    def judge(self, case: Case, case_id: str) -> dict:
        truth = self.oracle.check(case.output)
        positives = {self.keys[d]: block for d, block in truth.blocks.items()}
        longest_run = max(truth.longest_run.values(), default=0)
        true_verdict = "verbatim" if longest_run >= 50 else "near-verbatim" if positives else "neither"
        result = self.index.check(case.output, case_id)
        candidates = [(c.dataset, c.doc_id) for c in self.index.near_candidates(case.output)]
        blocks: list[dict[str, Any]] = []
        for b in result.near_copies:
            key = (b.source.dataset, b.source.doc_id)
            qualifies = b.similarity >= MIN_SIMILARITY and b.end_char - b.start_char >= MIN_CHARS
            oracle_block = positives.get(key)
            overlaps = oracle_block is not None and _overlap((b.start_char, b.end_char), oracle_block.extent) > 0
            blocks.append(
                {
                    "doc": list(key),
                    "chars": [b.start_char, b.end_char],
                    "source_chars": [b.source.start_char, b.source.end_char],
                    "similarity": round(b.similarity, 4),
                    "checked_similarity": self._checked(case.output, b, key),
                    "method": b.method,
                    "qualifies": qualifies,
                    "on_oracle_doc": oracle_block is not None,
                    "overlaps_oracle": overlaps,
                }
            )
        source = case.record.get("source", {})
        target = (source.get("dataset"), source.get("doc_id"))
        # a block may reach 150 characters only with some of the text around the passage: told apart, since an
        # engine that keeps to the aligned passage misses exactly those
        first, last = case.passage
        alone = self.oracle.check(case.output[first:last]) if positives and case.record.get("kind") != "none" else None
        passage_alone = alone is not None and any(self.keys[d] in positives for d in alone.blocks)
        return {
            "id": case_id,
            "condition": case.record.get("condition"),
            "oracle": {
                "positive_docs": [list(k) for k in positives],
                "blocks": {
                    "/".join(k): {
                        "chars": [v.start_char, v.end_char],
                        "extent": list(v.extent),
                        "source_chars": [v.source_start_char, v.source_end_char],
                        "similarity": round(v.similarity, 4),
                        "tokens": list(v.tokens),
                    }
                    for k, v in positives.items()
                },
                "longest_run": longest_run,
                "verdict": true_verdict,
                "target_positive": target in positives,
                "passage_alone_positive": passage_alone,
            },
            "engine": {
                "verdict": result.verdict,
                "longest_span_tokens": result.longest_span_tokens,
                "candidates": [list(c) for c in candidates],
                "blocks": blocks,
            },
            "candidate_hit": bool(positives) and any(c in positives for c in candidates),
            "block_hit": any(b["qualifies"] and b["overlaps_oracle"] for b in blocks),
            "verdict_hit": result.verdict in COPYING,
            "target_found": any(b["qualifies"] and tuple(b["doc"]) == target for b in blocks),
            # a qualifying block on a document where the oracle finds none; a code-identifiers block on the
            # very document the passage was renamed from is a copy by construction, kept apart
            "false_blocks": [
                b
                for b in blocks
                if b["qualifies"]
                and not b["on_oracle_doc"]
                and not (b["method"] != "tokens" and tuple(b["doc"]) == target)
            ],
            "identifier_blocks": [
                b
                for b in blocks
                if b["qualifies"] and not b["on_oracle_doc"] and b["method"] != "tokens" and tuple(b["doc"]) == target
            ],
            "false_verdict": result.verdict in COPYING and true_verdict == "neither" and not _by_construction(case),
            "record": case.record,
        }

    def _checked(self, output: str, block, key) -> float | None:
        """The block's similarity recomputed from the two texts (rapidfuzz on lowercased tokens)."""
        doc = self.by_key.get(key)
        if doc is None:
            return None
        out = token_strings(output[block.start_char : block.end_char])
        src = token_strings(doc.text[block.source.start_char : block.source.end_char])
        return round(Levenshtein.normalized_similarity(out, src), 4)


def _by_construction(case: Case) -> bool:
    """A renamed copy: the oracle (plain tokens) may not call it a copy, the engine may."""
    return case.record.get("kind") in ("rename", "literals")


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return min(a[1], b[1]) - max(a[0], b[0])


def summarise(judged: Iterable[dict]) -> dict:
    """Per condition (and per target group): recall among oracle positives, false positives, with Wilson CIs."""
    groups: dict[str, list[dict]] = {}
    for item in judged:
        groups.setdefault(item["condition"], []).append(item)
        record = item["record"]
        if record.get("kind") != "none":
            target = in_target(record["language"], record["kind"], record["params"])
            if target:
                groups.setdefault(f"target:{target}", []).append(item)
        else:
            groups.setdefault("negatives", []).append(item)
    return {name: _summary(items) for name, items in sorted(groups.items())}


def _rate(hits: int, total: int) -> dict:
    low, high = wilson(hits, total)
    return {
        "hits": hits,
        "total": total,
        "rate": round(hits / total, 4) if total else None,
        "ci95": [round(low, 4), round(high, 4)],
    }


def _summary(items: list[dict]) -> dict:
    positive = [i for i in items if i["oracle"]["positive_docs"]]
    alone = [i for i in positive if i["oracle"].get("passage_alone_positive")]
    edited = [i for i in items if i["record"].get("kind") != "none"]
    no_truth = [i for i in items if i["oracle"]["verdict"] == "neither"]
    return {
        "outputs": len(items),
        "oracle_positive": len(positive),
        "candidate_recall": _rate(sum(i["candidate_hit"] for i in positive), len(positive)),
        "block_recall": _rate(sum(i["block_hit"] for i in positive), len(positive)),
        "verdict_recall": _rate(sum(i["verdict_hit"] for i in positive), len(positive)),
        # among outputs whose edited passage is a block by itself (no help from the text around it)
        "passage_alone_positive": len(alone),
        "block_recall_passage_alone": _rate(sum(i["block_hit"] for i in alone), len(alone)),
        "verdict_recall_passage_alone": _rate(sum(i["verdict_hit"] for i in alone), len(alone)),
        "source_found_by_construction": _rate(sum(i["target_found"] for i in edited), len(edited)),
        "false_block_outputs": _rate(sum(bool(i["false_blocks"]) for i in items), len(items)),
        "false_verdicts": _rate(sum(i["false_verdict"] for i in no_truth), len(no_truth)),
        "identifier_only_blocks": sum(bool(i["identifier_blocks"]) for i in items),
    }


def misses(judged: Iterable[dict]) -> list[dict]:
    """Every output the engine got wrong against the oracle, with what is needed to rebuild it."""
    found = []
    for item in judged:
        problems = []
        if item["oracle"]["positive_docs"]:
            for name in ("candidate_hit", "block_hit", "verdict_hit"):
                if not item[name]:
                    problems.append(name.replace("_hit", "_miss"))
        if item["false_blocks"]:
            problems.append("false_block")
        if item["false_verdict"]:
            problems.append("false_verdict")
        if problems:
            found.append(
                {
                    "id": item["id"],
                    "problems": problems,
                    **{k: item[k] for k in ("condition", "oracle", "engine", "record")},
                }
            )
    return found


def table(summary: dict) -> str:
    """The summary as aligned text, a target beside each target group."""
    lines = [
        f"{'group':34} {'n':>5} {'pos':>5}  {'candidate recall':>22}  {'block recall':>22}  {'verdict recall':>22}  "
        f"{'block recall, alone':>22}  {'false-block outputs':>22}  {'false verdicts':>20}  target"
    ]
    for name, s in summary.items():
        target = TARGETS.get(name.removeprefix("target:"))
        goal = f"recall >= {target:.0%}" if target else ("0 false positives" if name == "negatives" else "")
        keys = (
            "candidate_recall",
            "block_recall",
            "verdict_recall",
            "block_recall_passage_alone",
            "false_block_outputs",
        )
        cells = [_cell(s[k]) for k in keys]
        lines.append(
            f"{name:34} {s['outputs']:>5} {s['oracle_positive']:>5}  "
            + "  ".join(f"{c:>22}" for c in cells)
            + f"  {_cell(s['false_verdicts']):>20}  {goal}"
        )
    return "\n".join(lines)


def _cell(rate: dict) -> str:
    if not rate["total"]:
        return "-"
    low, high = rate["ci95"]
    return f"{rate['hits']}/{rate['total']} [{low:.2f},{high:.2f}]"


def environment() -> dict:
    return {"python": sys.version.split()[0], "cpus": os.cpu_count()}
