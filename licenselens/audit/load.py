"""Reading a results.json back: validated against the typed contract (types.audit), derived parts recomputed.

What an audit measured (corpus, documents, trees, overlap, policy) must be there; what is derived from
it is recomputed, so an older file is upgraded rather than refused: the evidence when it lacks a field
that today's ``build_evidence`` writes, and the assessment always (from the current rules/ texts).
"""

from __future__ import annotations

import json
from typing import Any

from licenselens.audit.evidence import build_evidence
from licenselens.audit.results import SCHEMA_VERSION
from licenselens.types.audit import DatasetEvidence, DatasetSummary, Results

KNOWN_SCHEMAS = (SCHEMA_VERSION,)  # an older schema gets its upgrade step here
MEASURED = [key for key in Results.__required_keys__ if key != "evidence"]
# what build_evidence reads of each dataset's summary
SUMMARY_FIELDS = sorted(DatasetSummary.__required_keys__)


class ResultsError(ValueError):
    """A results.json that cannot be rendered; the message names what is wrong or missing."""


def _missing(results: dict[str, Any]) -> list[str]:
    missing = sorted(key for key in MEASURED if key not in results)
    corpus = results.get("corpus")
    if isinstance(corpus, dict):
        for dataset in corpus.get("datasets") or []:
            name = dataset.get("name", "?") if isinstance(dataset, dict) else "?"
            have = dataset if isinstance(dataset, dict) else {}
            missing += [f"corpus.datasets.{name}.{key}" for key in SUMMARY_FIELDS if key not in have]
    return missing


def _evidence_is_current(results: dict[str, Any]) -> bool:
    evidence = results.get("evidence")
    if not isinstance(evidence, dict) or not isinstance(evidence.get("datasets"), dict):
        return False
    wanted = DatasetEvidence.__required_keys__
    return all(isinstance(d, dict) and wanted <= set(d) for d in evidence["datasets"].values())


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
            f"written by another version of licenselens (schema {version}); missing "
            f"{', '.join(missing[:5])}: run `licenselens audit` again"
        )
    upgraded = {key: value for key, value in results.items() if key != "assessment"}  # recomputed on rendering
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
