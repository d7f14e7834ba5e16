"""The dataset manifest: which datasets trained a model, and the outputs to compare.

Read from ``licenselens.toml`` or ``[tool.licenselens]`` in pyproject.toml.
Errors name the file, the line and the field, e.g.
``samples/licenselens.toml:14: datasets[2] (web-pages).stage: 'pretrain' is not one of pretraining, sft, rlhf, domain``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from licenselens.config import ConfigError, read_project_table
from licenselens.sources.readers import READERS, infer_format
from licenselens.types.corpus import KINDS, METADATA_FIELDS, STAGES, DatasetSpec, Manifest

FORMATS = tuple(READERS)  # the formats are the readers registered in sources.readers
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
DATASET_KEYS = {
    "name",
    "stage",
    "kind",
    "paths",
    "format",
    "text_field",
    "id_field",
    "fields",
    "license",
    "source",
    "notes",
}
OUTPUT_KEYS = {"name", "paths", "format", "text_field", "id_field", "fields"}
MODEL_KEYS = {"name", "description", "provider", "use", "knowledge_cutoff"}
MODEL_USES = ("generative", "non-generative")
PROCESSING_KEYS = ("opt_outs_removed", "pii_removed", "dedup")
# the ledger of synthetic surrogates that `licenselens clean` wrote (a path beside the manifest): an audit
# counts the values it lists apart from personal data
SURROGATES_KEY = "pii_surrogates"


class ManifestError(ValueError):
    pass


class _Locator:
    """Finds the line of a field in the TOML source, for error messages (tomllib keeps no positions)."""

    def __init__(self, text: str, prefix: str):
        self.lines = text.splitlines()
        self.prefix = prefix

    def line(self, table: str, index: int | None, key: str | None) -> int | None:
        header = re.compile(
            rf"^\s*\[\[\s*{re.escape(self.prefix + table)}\s*\]\]"
            if index is not None
            else rf"^\s*\[\s*{re.escape(self.prefix + table)}\s*\]"
        )
        seen, start = -1, None
        for number, line in enumerate(self.lines, 1):
            if header.match(line):
                seen += 1
                if index is None or seen == index:
                    start = number
                    continue
            if start is not None and re.match(r"^\s*\[\[?\s*(?!" + re.escape(self.prefix + table) + r"\.)", line):
                break  # next table
            if start is not None and key and re.match(rf"^\s*{re.escape(key)}\s*=", line):
                return number
        return start


class _Reader:
    def __init__(self, source: str, base: Path, locator: _Locator):
        self.source, self.base, self.locator = source, base, locator

    def fail(self, table: str, index: int | None, key: str | None, label: str, message: str):
        line = self.locator.line(table, index, key)
        where = f"{self.source}:{line}" if line else self.source
        raise ManifestError(f"{where}: {label}: {message}")

    def spec(self, table: str, index: int, raw, allowed: set[str], output: bool) -> DatasetSpec:
        label = f"{table}[{index}]"
        if not isinstance(raw, dict):
            self.fail(table, index, None, label, "must be a table")
        if isinstance(raw.get("name"), str):
            label += f" ({raw['name']})"

        def fail(key, message):
            self.fail(table, index, key, f"{label}.{key}", message)

        for key in raw:
            if key not in allowed:
                fail(key, f"unknown field (known: {', '.join(sorted(allowed))})")
        for key in ("name", "paths") + (() if output else ("stage", "kind")):
            if key not in raw:
                self.fail(table, index, None, f"{label}.{key}", "required field is missing")

        def text(key, default=None):
            value = raw.get(key, default)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                fail(key, f"must be a non-empty string, got {value!r}")
            return value

        name = text("name")
        if not NAME_PATTERN.match(name):
            fail("name", f"{name!r}: use lowercase letters, digits, '.', '_' and '-'")
        stage = kind = "other"
        if not output:
            stage, kind = text("stage"), text("kind")
            if stage not in STAGES:
                fail("stage", f"{stage!r} is not one of {', '.join(STAGES)}")
            if kind not in KINDS:
                fail("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
        paths = raw["paths"]
        if isinstance(paths, str):
            paths = [paths]
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) and p for p in paths):
            fail("paths", "must be a non-empty list of paths or globs")
        if any("\0" in p for p in paths):
            fail("paths", "a path cannot contain a NUL character")
        fmt = text("format")
        if fmt is not None and fmt not in FORMATS:
            fail("format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
        if fmt is None:
            first = Path(paths[0])
            fmt = infer_format(self.base / first) if not any(c in paths[0] for c in "*?[") else infer_format(first)
        text_field = raw.get("text_field")
        if text_field is not None:
            if isinstance(text_field, str):
                text_field = [text_field]
            if (
                not isinstance(text_field, list)
                or not text_field
                or not all(isinstance(f, str) and f for f in text_field)
            ):
                fail("text_field", "must be a field name or a list of field names")
        id_field = text("id_field", "id")
        fields = raw.get("fields", {})
        if not isinstance(fields, dict):
            fail("fields", "must be a table of metadata name = record field")
        for meta, field in fields.items():
            if meta not in METADATA_FIELDS:
                self.fail(
                    table,
                    index,
                    meta,
                    f"{label}.fields.{meta}",
                    f"unknown metadata (known: {', '.join(METADATA_FIELDS)})",
                )
            if not isinstance(field, str) or not field:
                self.fail(table, index, meta, f"{label}.fields.{meta}", "must name a record field")
        declared = text("license")
        if declared is not None:
            problem = _spdx_problem(declared)
            if problem:
                fail("license", problem)
        return DatasetSpec(
            name=name,
            stage=stage,
            kind=kind,
            # normalised so that origins read ../shared/x rather than samples/../../shared/x
            paths=tuple(os.path.normpath(self.base / p) for p in paths),
            format=fmt,
            text_field=tuple(text_field) if text_field else DatasetSpec.text_field,
            text_field_given=text_field is not None,
            id_field=id_field,
            fields=tuple(sorted(fields.items())),
            license=declared,
            source=text("source"),
            notes=text("notes"),
        )


def _spdx_problem(expression: str) -> str | None:
    from license_expression import ExpressionError

    from licenselens.expressions import spdx_licensing

    try:
        info = spdx_licensing().validate(expression, strict=False)
    except ExpressionError as exc:
        return f"{expression!r} is not a valid SPDX expression: {exc}"
    except Exception as exc:  # the parser fails on some malformed input, e.g. IndexError on "()"
        return f"{expression!r} is not a valid SPDX expression ({type(exc).__name__} in the parser)"
    unknown = [k for k in info.invalid_symbols if not k.startswith("LicenseRef-")]
    if info.errors and not unknown:
        unknown = info.errors
    if unknown:
        return f"{expression!r} is not a valid SPDX expression: unknown {', '.join(map(str, unknown))}"
    return None


def parse_manifest(table: dict, source: str, base: Path, text: str, prefix: str = "") -> Manifest:
    reader = _Reader(source, base, _Locator(text, prefix))
    datasets = table.get("datasets", [])
    if not isinstance(datasets, list) or not datasets:
        reader.fail("datasets", None, None, "datasets", "the manifest needs at least one [[datasets]] table")
    specs = tuple(reader.spec("datasets", i, raw, DATASET_KEYS, output=False) for i, raw in enumerate(datasets))
    names = [s.name for s in specs]
    for i, name in enumerate(names):
        if name in names[:i]:
            reader.fail("datasets", i, "name", f"datasets[{i}].name", f"{name!r} is used by another dataset")
    outputs = table.get("outputs", [])
    if not isinstance(outputs, list):
        reader.fail("outputs", None, None, "outputs", "must be an array of [[outputs]] tables")
    model = _model_table(reader, table.get("model", {}))
    raw = table.get("processing", {})
    surrogates = raw.get(SURROGATES_KEY) if isinstance(raw, dict) else None
    processing = _processing_table(
        reader, {k: v for k, v in raw.items() if k != SURROGATES_KEY} if isinstance(raw, dict) else raw
    )
    if surrogates is not None and not isinstance(surrogates, str):
        reader.fail("processing", None, SURROGATES_KEY, f"processing.{SURROGATES_KEY}", "must be a path")
    policy = table.get("policy")
    if policy is not None and not isinstance(policy, str):
        reader.fail("policy", None, None, "policy", "must be a string: a built-in policy name or a YAML path")
    if policy and policy.endswith((".yaml", ".yml")):  # a file of the user's, beside the manifest
        policy = str(base / policy)
    return Manifest(
        model=model.get("name"),
        description=model.get("description"),
        datasets=specs,
        outputs=tuple(reader.spec("outputs", i, raw, OUTPUT_KEYS, output=True) for i, raw in enumerate(outputs)),
        source=source,
        provider=model.get("provider"),
        model_use=model.get("use", "generative"),
        knowledge_cutoff=model.get("knowledge_cutoff"),
        policy=policy,
        processing=processing,
        surrogates=str(base / surrogates) if surrogates else None,
    )


def _model_table(reader: _Reader, model) -> dict:
    if not isinstance(model, dict):
        reader.fail("model", None, None, "model", "must be a table")
    for key, value in model.items():
        if key not in MODEL_KEYS:
            reader.fail("model", None, key, f"model.{key}", f"unknown field (known: {', '.join(sorted(MODEL_KEYS))})")
        if not isinstance(value, str):
            reader.fail("model", None, key, f"model.{key}", "must be a string")
    if model.get("use", "generative") not in MODEL_USES:
        reader.fail("model", None, "use", "model.use", f"{model['use']!r} is not one of {', '.join(MODEL_USES)}")
    return model


def _processing_table(reader: _Reader, processing) -> tuple[tuple[str, bool], ...]:
    if not isinstance(processing, dict):
        reader.fail("processing", None, None, "processing", "must be a table")
    for key, value in processing.items():
        if key not in PROCESSING_KEYS:
            reader.fail(
                "processing",
                None,
                key,
                f"processing.{key}",
                f"unknown field (known: {', '.join((*PROCESSING_KEYS, SURROGATES_KEY))})",
            )
        if not isinstance(value, bool):
            reader.fail("processing", None, key, f"processing.{key}", "must be true or false")
    return tuple((k, processing[k]) for k in PROCESSING_KEYS if k in processing)


def load_manifest(path: str | Path) -> Manifest:
    path = Path(path)
    try:
        found = read_project_table(path)
    except ConfigError as exc:
        raise ManifestError(str(exc)) from exc
    if not isinstance(found.table, dict):
        raise ManifestError(f"{path}: no [tool.licenselens] table")
    return parse_manifest(found.table, str(path), path.parent, found.text, found.prefix)


def manifest_for(path: str | Path) -> Manifest:
    """A manifest file as such; any other path (data file, folder) as a one-dataset manifest."""
    path = Path(path)
    if path.is_file() and path.suffix == ".toml":
        return load_manifest(path)
    if path.is_dir() and (path / "licenselens.toml").is_file():
        return load_manifest(path / "licenselens.toml")
    if not path.exists():
        raise ManifestError(f"{path}: no such file or folder")
    name = re.sub(r"[^a-z0-9._-]+", "-", path.resolve().name.lower()).strip("-._") or "dataset"
    fmt = infer_format(path)
    spec = DatasetSpec(
        name=name, stage="pretraining", kind="code" if fmt == "tree" else "other", paths=(str(path),), format=fmt
    )
    return Manifest(model=None, description=None, datasets=(spec,), outputs=(), source=str(path))
