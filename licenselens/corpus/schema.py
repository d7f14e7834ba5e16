"""The columns of the per-document results table: a contract (docs/corpus-schema.md)."""

from __future__ import annotations

import pyarrow as pa

from licenselens.signals.pii import PII_TYPES

_strings = pa.list_(pa.string())

ROW_SCHEMA = pa.schema(
    [
        ("dataset", pa.string()),
        ("stage", pa.string()),
        ("kind", pa.string()),
        ("doc_id", pa.string()),
        ("origin", pa.string()),
        ("url", pa.string()),
        ("path", pa.string()),
        ("source", pa.string()),
        ("repo", pa.string()),
        ("chars", pa.int64()),
        ("bytes", pa.int64()),
        ("tokens", pa.int64()),
        ("sha256", pa.string()),
        ("declared_license", pa.string()),
        ("declared_from", pa.string()),
        ("license_expression_spdx", pa.string()),
        ("license_categories", _strings),
        (
            "detections",
            pa.list_(
                pa.struct(
                    [
                        ("detector", pa.string()),
                        ("license_expression", pa.string()),
                        ("license_expression_spdx", pa.string()),
                        ("category", pa.string()),
                        ("score", pa.float64()),
                        ("start_line", pa.int64()),
                        ("end_line", pa.int64()),
                    ]
                )
            ),
        ),
        ("license_clues", _strings),
        ("notices", _strings),
        ("license_mismatch", pa.string()),
        ("copyrights", _strings),
        ("holders", _strings),
        ("tdm_opt_out", pa.bool_()),
        ("tdm_signals", pa.list_(pa.struct([("signal", pa.string()), ("line", pa.int64())]))),
        *[(f"pii_{t}", pa.int64()) for t in PII_TYPES],
        ("pii_samples", _strings),
        ("pii_surrogates", pa.int64()),  # synthetic surrogates of a cleaned corpus: not counted as personal data
        ("errors", pa.list_(pa.struct([("code", pa.string()), ("message", pa.string()), ("detector", pa.string())]))),
    ]
)

# added when shards are merged: the first document (in run order) with the same text; the first kept
# document (no duplicate itself) whose shingles it nearly repeats, their estimated Jaccard similarity,
# and the cluster (the kept document's key) of both (rules/dedup.yaml, corpus/neardup.py)
RESULT_SCHEMA = pa.schema(
    [
        *ROW_SCHEMA,
        ("duplicate_of", pa.string()),
        ("near_duplicate_of", pa.string()),
        ("near_similarity", pa.float64()),
        ("near_cluster", pa.string()),
    ]
)
