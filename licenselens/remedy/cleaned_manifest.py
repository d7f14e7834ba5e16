"""The manifest of a cleaned corpus: the input manifest's datasets at their cleaned paths, and `processing`
set from what `clean` did and measured (not from what the input declared)."""

from __future__ import annotations

import os

import tomli_w

from licenselens.atomic import atomic_output
from licenselens.sources.manifest import PROCESSING_KEYS, SURROGATES_KEY
from licenselens.types.corpus import Manifest


def _dataset(spec, cleaned: dict) -> dict:
    table: dict = {"name": spec.name, "stage": spec.stage, "kind": spec.kind, "paths": cleaned["paths"]}
    table["format"] = spec.format
    if spec.text_field_given:
        table["text_field"] = list(spec.text_field) if len(spec.text_field) > 1 else spec.text_field[0]
    if spec.format not in ("text", "tree"):
        table["id_field"] = spec.id_field
    for key in ("license", "source"):
        if getattr(spec, key):
            table[key] = getattr(spec, key)
    removed = ", ".join(f"{n} {reason}" for reason, n in cleaned["removed"].items()) or "none"
    table["notes"] = (
        f"{spec.notes + ' ' if spec.notes else ''}Cleaned by licenselens: {cleaned['kept']} of "
        f"{cleaned['documents']} documents kept (removed: {removed})."
    )
    if spec.fields:
        table["fields"] = dict(spec.fields)
    return table


def write_manifest(manifest: Manifest, policy: str, datasets: list[dict], path: str, ledger: str | None) -> None:
    """Datasets that kept no document are left out (their paths would name nothing); outputs too: they were
    made by a model trained on the corpus before it was cleaned."""
    model = {
        "name": manifest.model,
        "description": manifest.description,
        "provider": manifest.provider,
        "use": manifest.model_use,
        "knowledge_cutoff": manifest.knowledge_cutoff,
    }
    processing: dict = {key: True for key in PROCESSING_KEYS}  # every opt-out, item of personal data and duplicate
    if ledger:
        processing[SURROGATES_KEY] = ledger
    by_name = {d["name"]: d for d in datasets}
    table = {
        "policy": policy,
        "model": {k: v for k, v in model.items() if v is not None},
        "processing": processing,
        "datasets": [_dataset(spec, by_name[spec.name]) for spec in manifest.datasets if by_name[spec.name]["paths"]],
    }
    header = (
        f"# The cleaned corpus of {os.path.basename(manifest.source)}, written by `licenselens clean`.\n"
        "# What was removed and why: removed.parquet; what was measured and done: clean-summary.json.\n\n"
    )
    with atomic_output(path, binary=False) as fh:
        fh.write(header + tomli_w.dumps(table))
