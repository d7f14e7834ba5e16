"""`licenselens trace`: a rights holder's works, found in the corpus and in model outputs.

For each work (a text file, or each text file of a folder): the corpus documents the corpus index links to
it (``trace_match.candidate_documents``) are each checked against the work's own index, which gives the share
of the work each holds, its longest span and the check's verdict; the manifest's outputs likewise. Documents
that hold a work verbatim or near-verbatim (rules/trace.yaml) make the exclusion list. All works together
make OUTDIR/work-index, an overlap index that `licenselens overlap --index` uses as a blocklist.

Works are read as `licenselens corpus` reads a folder of text files; a work that cannot be read, is binary,
empty or shorter than the index's n is an item error and the others are traced.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow.parquet as pq

from licenselens.overlap.build import IndexSettings, build_index
from licenselens.overlap.query import OverlapIndex
from licenselens.overlap.verdict import reaches
from licenselens.remedy.exclusions import listed_key
from licenselens.remedy.trace_match import Work, candidate_documents, measure
from licenselens.rules import load_yaml
from licenselens.signals.anchors import lowered
from licenselens.signals.pii import mask_text
from licenselens.sources.manifest import load_manifest
from licenselens.sources.readers import read_documents
from licenselens.stamp import tool_stamp
from licenselens.tokens import token_spans
from licenselens.types.corpus import DatasetSpec, Document, DocumentError, Manifest
from licenselens.types.overlap import OVERLAP_VERDICTS, OutputResult
from licenselens.types.trace import (
    SCHEMA_VERSION,
    DatasetCount,
    DocumentTrace,
    ItemError,
    Match,
    OutputTrace,
    TraceResult,
    TraceSource,
    WorkTrace,
)

WORKS_DATASET = "works"  # the dataset name of the works in OUTDIR/work-index
WORK_INDEX = "work-index"
Traced = tuple[dict, Match, np.ndarray, np.ndarray]  # a document's metadata, match, found and verbatim masks


class TraceInputError(ValueError):
    """The corpus results cannot be read, or OUTDIR would be written among the works or the index."""


@dataclass(frozen=True)
class TraceOptions:
    index: str  # the corpus's overlap index
    output_dir: str
    corpus_results: str | None = None  # corpus.parquet; default: the index's own, or one beside the index
    manifest: str | None = None  # its [[outputs]] are checked


def corpus_results_for(options: TraceOptions, index: OverlapIndex) -> str | None:
    """corpus.parquet given, else the one the index was built with, else one beside it (an audit's OUTDIR)."""
    if options.corpus_results:
        return options.corpus_results
    for candidate in (
        index.manifest.get("corpus_results"),
        os.path.join(os.path.dirname(os.path.abspath(options.index)), "corpus.parquet"),
    ):
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_output_dir(works: Sequence[str], options: TraceOptions) -> None:
    """OUTDIR must be neither among the works (a rerun would read the index as works) nor in the corpus index."""
    for work in works:
        if os.path.isdir(work) and _inside(options.output_dir, work):
            raise TraceInputError(f"{options.output_dir} is inside the works folder {work}: write elsewhere")
    if _inside(options.output_dir, options.index):
        raise TraceInputError(f"{options.output_dir} is inside the index {options.index}: write elsewhere")


def read_works(paths: Sequence[str], n: int) -> tuple[list[Work], list[ItemError]]:
    works: list[Work] = []
    errors: list[ItemError] = []
    seen: set[str] = set()
    spec = DatasetSpec(WORKS_DATASET, "other", "other", tuple(paths), "text")
    for item in read_documents(spec):
        if isinstance(item, DocumentError):
            code = item.code.removeprefix("skipped-")  # a binary or empty work is an error, not a skipped file
            errors.append(ItemError(item.origin, code, item.message))
            continue
        starts, ends = token_spans(lowered(item.text))
        if not len(starts):
            errors.append(ItemError(item.origin, "empty", "no words in this work: nothing to trace"))
        elif len(starts) < n:
            errors.append(
                ItemError(item.origin, "too-short", f"{len(starts)} words: no span of {n} tokens can be found")
            )
        elif item.doc_id in seen:
            where = item.location or item.origin
            errors.append(
                ItemError(where, "same-name", f"another work is named {item.doc_id}: give its folder instead")
            )
        else:
            seen.add(item.doc_id)
            works.append(Work(item.doc_id, item.origin, item.text, starts, ends))
    return works, errors


def _settings(index: OverlapIndex) -> IndexSettings:
    """The corpus index's: spans of the same n everywhere."""
    m = index.manifest
    return IndexSettings(n=m["n"], gram=m["gram"], seed=m["seed"], seed_sampling=m["seed_sampling"])


def _one_work_index(work: Work, settings: IndexSettings, folder: str) -> OverlapIndex:
    """An index of the work's text as read (a file changed since would shift every offset), in a scratch folder."""
    os.makedirs(folder)
    text_file = os.path.join(folder, "work.txt")
    with open(text_file, "w", encoding="utf-8", newline="") as fh:
        fh.write(work.text)
    spec = DatasetSpec(WORKS_DATASET, "other", "other", (text_file,), "text")
    index_dir = os.path.join(folder, "index")
    build_index(Manifest(None, None, (spec,), (), work.origin), index_dir, settings)
    return OverlapIndex(index_dir)


OPT_OUT_COLUMNS = ["dataset", "origin", "tdm_opt_out", "tdm_signals"]


def check_corpus_results(path: str | None) -> None:
    """Before anything is written: a corpus.parquet with the opt-out columns."""
    if not path:
        return
    try:
        names = pq.read_schema(path).names
    except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
        raise TraceInputError(f"{path}: not a corpus.parquet of `licenselens corpus` ({exc})") from exc
    missing = [c for c in OPT_OUT_COLUMNS if c not in names]
    if missing:
        raise TraceInputError(f"{path}: not a corpus.parquet of `licenselens corpus` (no {', '.join(missing)})")


def _opt_outs(path: str | None, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, ...]]:
    """Opt-out signals by (dataset, masked origin) of the documents ``wanted`` (origins there are masked too)."""
    if not path or not wanted:
        return {}
    try:
        table = pq.read_table(
            path,
            columns=OPT_OUT_COLUMNS,
            filters=[("origin", "in", sorted({origin for _, origin in wanted}))],
        )
    except (OSError, ValueError, KeyError) as exc:  # pyarrow's errors derive from these
        raise TraceInputError(f"{path}: not a corpus.parquet of `licenselens corpus` ({exc})") from exc
    found = {}
    for row in table.to_pylist():
        key = (row["dataset"], row["origin"])
        if key in wanted:
            signals = sorted({s["signal"] for s in row["tdm_signals"] or ()})
            found[key] = tuple(signals) if row["tdm_opt_out"] else ()
    return found


def _excluded(match: Match, rules: dict) -> bool:
    rule = rules["exclude"]
    return reaches(match.verdict, rule["min_verdict"]) and (
        match.share >= rule["min_share"]
        or match.found_tokens >= rule["min_tokens"]
        or match.copy_share >= rule["min_copy_share"]
    )


def _shares_something(result: OutputResult) -> bool:
    return bool(result.spans or result.near_copies)


def _trace_documents(
    index: OverlapIndex, candidates: list[int], work: Work, own: OverlapIndex, rules: dict
) -> list[Traced]:
    """(doc meta, match, found mask, verbatim mask) of every candidate that holds some of the work."""
    traced: list[Traced] = []
    for doc in candidates:
        meta = index.meta(doc)
        text = index.source_text(meta["dataset"], meta["origin"])
        if text is None:
            continue
        result = own.check(text, meta["doc_id"])
        match, found, verbatim = measure(work, text, result, rules["report"])
        if match.found_tokens:
            traced.append((meta, match, found, verbatim))
    return traced


def _read_outputs(manifest: Manifest | None) -> tuple[list[Document], list[ItemError]]:
    outputs: list[Document] = []
    errors: list[ItemError] = []
    for spec in manifest.outputs if manifest else ():
        for item in read_documents(spec):
            if isinstance(item, Document):
                outputs.append(item)
            elif not item.code.startswith("skipped-"):
                errors.append(ItemError(item.origin, item.code, item.message))
    return outputs, errors


def _work_trace(
    work: Work,
    traced: list[Traced],
    candidates: int,
    outputs: list[OutputTrace],
    opt_outs: dict[tuple[str, str], tuple[str, ...]],
    rules: dict,
) -> WorkTrace:
    documents = []
    found = np.zeros(work.tokens, dtype=bool)
    verbatim = np.zeros(work.tokens, dtype=bool)
    for meta, match, doc_found, doc_verbatim in traced:
        found |= doc_found
        verbatim |= doc_verbatim
        signals = opt_outs.get((meta["dataset"], mask_text(meta["origin"])))
        documents.append(
            DocumentTrace(
                dataset=meta["dataset"],
                doc_id=meta["doc_id"],
                origin=meta["origin"],
                url=meta["url"],
                license=meta["license"],
                opt_out=None if signals is None else bool(signals),
                opt_out_signals=signals or (),
                excluded=_excluded(match, rules),
                match=match,
            )
        )
    documents.sort(key=lambda d: (-d.match.found_tokens, -d.match.longest_span_tokens, d.dataset, d.doc_id, d.origin))
    per_dataset = Counter(d.dataset for d in documents)
    excluded = Counter(d.dataset for d in documents if d.excluded)
    longest = max(documents, key=lambda d: (d.match.longest_span_tokens, d.match.longest_span_chars), default=None)
    verdicts = [OVERLAP_VERDICTS.index(d.match.verdict) for d in documents]
    return WorkTrace(
        work_id=work.work_id,
        origin=work.origin,
        tokens=work.tokens,
        chars=len(work.text),
        share=round(float(found.mean()), 6),
        verbatim_share=round(float(verbatim.mean()), 6),
        longest_span_tokens=longest.match.longest_span_tokens if longest else 0,
        longest_span_chars=longest.match.longest_span_chars if longest else 0,
        strongest_verdict=OVERLAP_VERDICTS[min(verdicts)] if verdicts else None,
        candidates=candidates,
        datasets=tuple(DatasetCount(name, per_dataset[name], excluded[name]) for name in sorted(per_dataset)),
        documents=tuple(documents),
        outputs=tuple(sorted(outputs, key=lambda o: (o.output_id, o.origin))),
    )


def _trace_work(
    index: OverlapIndex, work: Work, own: OverlapIndex, outputs: list[Document], rules: dict
) -> tuple[list[Traced], int, list[OutputTrace]]:
    """The corpus documents holding part of a work, how many were checked, and the outputs reproducing it."""
    candidates = candidate_documents(index, work.text, rules["candidates"])
    traced = _trace_documents(index, candidates, work, own, rules)
    reproducing = []
    for output in outputs:
        result = own.check(output.text, output.doc_id)
        if reaches(result.verdict, rules["outputs"]["min_verdict"]):
            match, _, _ = measure(work, output.text, result, rules["report"])
            reproducing.append(OutputTrace(output.doc_id, output.origin, result.tokens, match))
    return traced, len(candidates), reproducing


def _excluded_keys(works: list[WorkTrace]) -> set[str]:
    keys = set()
    for work in works:
        for d in work.documents:
            if not d.excluded:
                continue
            keys.add(listed_key(d.dataset, d.doc_id))  # a digest for an id with personal data or a line break
    return keys


def run_trace(works_paths: Sequence[str], options: TraceOptions) -> TraceResult:
    """Trace the works; OUTDIR/work-index is built here, the report files are the writers' (reporters)."""
    check_output_dir(works_paths, options)
    rules = load_yaml("trace.yaml")
    index = OverlapIndex(options.index)
    manifest = load_manifest(options.manifest) if options.manifest else None
    corpus_results = corpus_results_for(options, index)
    check_corpus_results(corpus_results)
    settings = _settings(index)
    works, errors = read_works(works_paths, settings.n)
    outputs, output_errors = _read_outputs(manifest)
    errors.extend(output_errors)
    sharing: list[Document] = []
    if works:
        work_index = os.path.join(options.output_dir, WORK_INDEX)
        spec = DatasetSpec(WORKS_DATASET, "other", "other", tuple(works_paths), "text")
        build_index(Manifest(None, None, (spec,), (), " ".join(works_paths)), work_index, settings)
        guard = OverlapIndex(work_index)  # outputs sharing nothing with any work (most) are not checked further
        sharing = [o for o in outputs if _shares_something(guard.check(o.text, o.doc_id))]
    found = []
    with tempfile.TemporaryDirectory(prefix="licenselens-trace-") as scratch:
        for number, work in enumerate(works):
            own = _one_work_index(work, settings, os.path.join(scratch, str(number)))
            found.append((work, *_trace_work(index, work, own, sharing, rules)))
    wanted = {(meta["dataset"], mask_text(meta["origin"])) for _, traced, _, _ in found for meta, *_ in traced}
    opt_outs = _opt_outs(corpus_results, wanted)
    traces = [
        _work_trace(w, traced, checked, reproducing, opt_outs, rules) for w, traced, checked, reproducing in found
    ]
    excluded = _excluded_keys(traces)
    m = index.manifest
    return TraceResult(
        schema_version=SCHEMA_VERSION,
        tool=tool_stamp(),
        source=TraceSource(
            index=index.location,
            index_documents=m["counts"]["documents"],
            index_tokens=m["counts"]["tokens"],
            n=m["n"],
            corpus_results=corpus_results,
            manifest=options.manifest,
            outputs_checked=len(outputs),
        ),
        rules={**rules, "verdicts": {k: index.rules[k] for k in ("verbatim", "near_verbatim", "derivative")}},
        works=tuple(sorted(traces, key=lambda w: (w.work_id, w.origin))),
        excluded=tuple(sorted(excluded)),
        errors=tuple(sorted(errors, key=lambda e: (e.item, e.code, e.message))),
    )
