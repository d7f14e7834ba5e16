"""Per-dataset aggregates of the per-document rows: the figures a dataset audit reports."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa

from licenselens.corpus.neardup import dedup_settings
from licenselens.scancode.licensedb import license_db
from licenselens.signals.pii import PII_TYPES
from licenselens.types.audit import CorpusTotals, DatasetSummary
from licenselens.types.corpus import DatasetSpec, DocumentError

MAX_EXAMPLES = 20
NO_LICENSE = "none"


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


GOVERNING_BASES = ("detected", "declared", "none")


def governing_categories(
    detected: list[str] | None, declared: str | None, mismatch: str | None
) -> tuple[str, list[str]]:
    """Which licence governs a document, and its categories: the one its text states; else the declared
    one when the text does not contradict it; else none. Fair use weighs works by this."""
    if detected:
        return "detected", list(detected)
    if declared and not mismatch:
        return "declared", [license_db().category_of_spdx(declared)]
    return "none", [NO_LICENSE]


class DatasetTally:
    def __init__(self, spec: DatasetSpec):
        self.spec = spec
        self.documents = self.chars = self.bytes = self.tokens = 0
        self.licenses: Counter[str] = Counter()
        self.categories: Counter[str] = Counter()
        self.with_license = 0
        self.mismatches = 0
        self.mismatch_examples: list[dict] = []
        self.declared: Counter[str] = Counter()
        self.governing: Counter[str] = Counter()
        self.governing_basis: Counter[str] = Counter()
        self.opt_out = 0
        self.opt_out_signals: Counter[str] = Counter()
        self.notices: Counter[str] = Counter()
        self.pii_documents: Counter[str] = Counter()
        self.pii_occurrences: Counter[str] = Counter()
        self.with_pii = 0
        self.surrogates = 0
        self.duplicates = self.cross_dataset_duplicates = 0
        self.near_duplicates = self.cross_dataset_near_duplicates = 0
        self.holders: Counter[str] = Counter()
        self.detector_errors = 0
        self.errors: list[DocumentError] = []
        self.skipped: Counter[str] = Counter()

    def add(self, table: pa.Table, duplicate_of: list[str | None], near_duplicate_of: list[str | None]) -> None:
        columns = {
            name: table.column(name).to_pylist()
            for name in (
                "doc_id",
                "chars",
                "bytes",
                "tokens",
                "license_expression_spdx",
                "license_categories",
                "license_mismatch",
                "declared_license",
                "tdm_signals",
                "notices",
                "holders",
                "errors",
                "pii_surrogates",
                *(f"pii_{t}" for t in PII_TYPES),
            )
        }
        for i, doc_id in enumerate(columns["doc_id"]):
            self.documents += 1
            self.chars += columns["chars"][i]
            self.bytes += columns["bytes"][i]
            self.tokens += columns["tokens"][i]
            expression = columns["license_expression_spdx"][i]
            self.licenses[expression or NO_LICENSE] += 1
            self.with_license += expression is not None
            for category in columns["license_categories"][i] or [NO_LICENSE]:
                self.categories[category] += 1
            self.declared[columns["declared_license"][i] or NO_LICENSE] += 1
            reason = columns["license_mismatch"][i]
            basis, categories = governing_categories(
                columns["license_categories"][i], columns["declared_license"][i], reason
            )
            self.governing_basis[basis] += 1
            self.governing.update(categories)
            if reason:
                self.mismatches += 1
                if len(self.mismatch_examples) < MAX_EXAMPLES:
                    self.mismatch_examples.append({"doc_id": doc_id, "reason": reason})
            signals = {s["signal"] for s in columns["tdm_signals"][i]}
            self.opt_out += bool(signals)
            self.opt_out_signals.update(signals)
            self.notices.update(columns["notices"][i])
            found = [t for t in PII_TYPES if columns[f"pii_{t}"][i]]
            self.with_pii += bool(found)
            self.surrogates += columns["pii_surrogates"][i]
            for t in found:
                self.pii_documents[t] += 1
                self.pii_occurrences[t] += columns[f"pii_{t}"][i]
            self.holders.update(set(columns["holders"][i]))
            self.detector_errors += bool(columns["errors"][i])
            first = duplicate_of[i]
            if first is not None:
                self.duplicates += 1
                self.cross_dataset_duplicates += not first.startswith(f"{self.spec.name}:")
            near = near_duplicate_of[i]
            if near is not None:
                self.near_duplicates += 1
                self.cross_dataset_near_duplicates += not near.startswith(f"{self.spec.name}:")

    def add_errors(self, errors: list[DocumentError]) -> None:
        for error in errors:
            if error.code.startswith("skipped-"):
                self.skipped[error.code] += 1
            else:
                self.errors.append(error)

    def to_dict(self) -> DatasetSummary:
        n, spec = self.documents, self.spec
        return {
            "name": spec.name,
            "stage": spec.stage,
            "kind": spec.kind,
            "format": spec.format,
            "declared_license": spec.license,
            "source": spec.source,
            "notes": spec.notes,
            "documents": n,
            "characters": self.chars,
            "bytes": self.bytes,
            "tokens": self.tokens,
            "licenses": dict(sorted(self.licenses.items(), key=lambda kv: (-kv[1], kv[0]))),
            "categories": dict(sorted(self.categories.items(), key=lambda kv: (-kv[1], kv[0]))),
            "declared_licenses": dict(sorted(self.declared.items(), key=lambda kv: (-kv[1], kv[0]))),
            "governing_categories": dict(sorted(self.governing.items(), key=lambda kv: (-kv[1], kv[0]))),
            "governing_basis": {basis: self.governing_basis[basis] for basis in GOVERNING_BASES},
            "documents_with_license": self.with_license,
            "license_mismatch": {
                "documents": self.mismatches,
                "share": _share(self.mismatches, n),
                "examples": self.mismatch_examples,
            },
            "tdm_opt_out": {
                "documents": self.opt_out,
                "share": _share(self.opt_out, n),
                "by_signal": dict(sorted(self.opt_out_signals.items())),
            },
            "notices": dict(sorted(self.notices.items())),
            "personal_information": {
                "documents": self.with_pii,
                "share": _share(self.with_pii, n),
                "synthetic_surrogates": self.surrogates,
                "by_type": {
                    t: {
                        "documents": self.pii_documents[t],
                        "share": _share(self.pii_documents[t], n),
                        "occurrences": self.pii_occurrences[t],
                    }
                    for t in PII_TYPES
                },
            },
            "duplicates": {
                "documents": self.duplicates,
                "share": _share(self.duplicates, n),
                "of_other_datasets": self.cross_dataset_duplicates,
            },
            "near_duplicates": {
                "documents": self.near_duplicates,
                "share": _share(self.near_duplicates, n),
                "of_other_datasets": self.cross_dataset_near_duplicates,
                "threshold": dedup_settings().threshold,
            },
            "copyright_holders": dict(sorted(self.holders.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_EXAMPLES]),
            "documents_with_detector_errors": self.detector_errors,
            "skipped": dict(sorted(self.skipped.items())),
            "errors": [e.__dict__ for e in self.errors],
        }


def totals(datasets: list[DatasetSummary]) -> CorpusTotals:
    n = sum(d["documents"] for d in datasets)
    mismatched = sum(d["license_mismatch"]["documents"] for d in datasets)
    with_declared = [d for d in datasets if d["declared_license"] or set(d["declared_licenses"]) - {NO_LICENSE}]
    mislabelled = [d["name"] for d in with_declared if d["license_mismatch"]["documents"]]
    return {
        "datasets": len(datasets),
        "documents": n,
        "characters": sum(d["characters"] for d in datasets),
        "bytes": sum(d["bytes"] for d in datasets),
        "tokens": sum(d["tokens"] for d in datasets),
        "datasets_with_declared_license": len(with_declared),
        "datasets_with_mismatches": {
            "count": len(mislabelled),
            "share": _share(len(mislabelled), len(with_declared)),
            "names": mislabelled,
        },
        "documents_with_mismatch": {"documents": mismatched, "share": _share(mismatched, n)},
        "tdm_opt_out": {
            "documents": sum(d["tdm_opt_out"]["documents"] for d in datasets),
            "share": _share(sum(d["tdm_opt_out"]["documents"] for d in datasets), n),
        },
        "personal_information": {
            "documents": sum(d["personal_information"]["documents"] for d in datasets),
            "share": _share(sum(d["personal_information"]["documents"] for d in datasets), n),
        },
        "duplicates": {
            "documents": sum(d["duplicates"]["documents"] for d in datasets),
            "share": _share(sum(d["duplicates"]["documents"] for d in datasets), n),
        },
        "near_duplicates": {
            "documents": sum(d["near_duplicates"]["documents"] for d in datasets),
            "share": _share(sum(d["near_duplicates"]["documents"] for d in datasets), n),
        },
        "errors": sum(len(d["errors"]) for d in datasets),
    }
