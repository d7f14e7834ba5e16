"""Reading a results.json back: validated against the typed contract (types.audit), derived parts recomputed.

What an audit measured (corpus, documents, trees, overlap, policy) must be there; what is derived from
it is recomputed, so an older file is upgraded rather than refused: the evidence when it lacks a field
that today's ``build_evidence`` writes, and the assessment always (from the current rules/ texts).
"""

from __future__ import annotations

import json
from typing import Any, get_args, get_origin, get_type_hints, is_typeddict

from licenselens.audit.evidence import build_evidence
from licenselens.audit.results import SCHEMA_VERSION
from licenselens.types.audit import DatasetEvidence, Results

KNOWN_SCHEMAS = ("1.0", SCHEMA_VERSION)  # an older schema gets its upgrade step here (STEPS)
DERIVED = ("evidence",)  # recomputed from the measured sections when out of date


class ResultsError(ValueError):
    """A results.json that cannot be rendered; the message names what is wrong or missing."""


def _problems(value: Any, expected: Any, where: str) -> list[str]:
    """What in ``value`` does not have the shape ``expected`` (a TypedDict or a typing form) describes:
    missing keys (``where.key``) and containers of another JSON kind (``where: not an object``)."""
    if is_typeddict(expected):
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        hints = get_type_hints(expected)
        found = [f"{where}.{key}" for key in sorted(expected.__required_keys__) if key not in value]
        for key, hint in hints.items():
            if key in value:
                found += _problems(value[key], hint, f"{where}.{key}")
        return found
    origin, args = get_origin(expected), get_args(expected)
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: not a list"]
        return (
            [p for n, item in enumerate(value) for p in _problems(item, args[0], _item(where, n, item))] if args else []
        )
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        return [p for key, item in value.items() for p in _problems(item, args[1], f"{where}.{key}")] if args else []
    return []  # scalars, unions, Any: not checked (reports show what is there)


def _item(where: str, n: int, item: Any) -> str:
    """A list item named as a reader names it: a dataset by its name, anything else by its position."""
    name = item.get("name") if isinstance(item, dict) else None
    return f"{where}.{name}" if isinstance(name, str) else f"{where}[{n}]"


def _missing(results: dict[str, Any]) -> list[str]:
    hints = get_type_hints(Results)
    found = [key for key in sorted(Results.__required_keys__) if key not in results and key not in DERIVED]
    for key, hint in hints.items():
        if key in results and key not in DERIVED:
            found += _problems(results[key], hint, key)
    return found


def _evidence_is_current(results: dict[str, Any]) -> bool:
    evidence = results.get("evidence")
    if not isinstance(evidence, dict) or not isinstance(evidence.get("datasets"), dict):
        return False
    wanted = DatasetEvidence.__required_keys__
    return all(isinstance(d, dict) and wanted <= set(d) for d in evidence["datasets"].values())


def _near_copies_from_closest(results: dict[str, Any]) -> dict[str, Any]:
    """1.0 -> 1.1: an output's closest passage (``near``, compared with the whole output) becomes its one
    near-copy block, marked as measured that way; the verdicts stay those the old check gave."""
    outputs = []
    for output in results["overlap"]["outputs"]:
        output = dict(output)
        output["near_copies"] = [
            {
                "start_char": m["start_char"],
                "end_char": m["end_char"],
                "tokens": output["tokens"],
                "source_tokens": None,
                "similarity": m["similarity"],
                "method": "whole-output (schema 1.0)",
                "source": {
                    "dataset": m["dataset"],
                    "doc_id": m["doc_id"],
                    "origin": m["origin"],
                    "url": None,
                    "path": None,
                    "license": m["license"],
                    "start_char": m["source_start_char"],
                    "end_char": m["source_end_char"],
                },
                "source_count": 1,
                "source_passage": m.get("source_passage"),
            }
            for m in output.pop("near", [])
        ]
        output.setdefault("near_copy_coverage", None)
        outputs.append(output)
    return {**results, "overlap": {**results["overlap"], "outputs": outputs}, "evidence": None}


STEPS = {"1.0": _near_copies_from_closest}  # schema -> the step to the next one


def upgrade(results: Any) -> Results:
    """``results`` (parsed JSON) as a current Results; ResultsError naming what is missing otherwise."""
    if not isinstance(results, dict) or "evidence" not in results or "corpus" not in results:
        raise ResultsError("not the results.json of `licenselens audit`")
    version = results.get("schema_version")
    if version not in KNOWN_SCHEMAS:
        raise ResultsError(
            f"schema {version!r} is not one this version of licenselens reads "
            f"({', '.join(KNOWN_SCHEMAS)}): run `licenselens audit` again"
        )
    missing = _missing(results)
    if missing:
        raise ResultsError(
            f"written by another version of licenselens (schema {version}), or damaged; missing or malformed: "
            f"{', '.join(missing[:5])}: run `licenselens audit` again"
        )
    upgraded = {key: value for key, value in results.items() if key != "assessment"}  # recomputed on rendering
    while version in STEPS:
        upgraded = STEPS[version](upgraded)
        version = KNOWN_SCHEMAS[KNOWN_SCHEMAS.index(version) + 1]
    if not _evidence_is_current(upgraded):
        upgraded["evidence"] = build_evidence(upgraded)
    upgraded["schema_version"] = SCHEMA_VERSION
    return upgraded  # type: ignore[return-value]


def load_results(path: str) -> Results:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise ResultsError(exc.strerror or str(exc)) from exc
    except ValueError as exc:
        raise ResultsError(f"not JSON: {exc}") from exc
    return upgrade(data)
