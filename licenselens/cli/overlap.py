"""``licenselens overlap``: verbatim spans, near copies and a verdict for each model output."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from licenselens.atomic import atomic_output
from licenselens.cli.errors import InputError
from licenselens.cli.options import IndexLocation, output_option, query_engine_options
from licenselens.overlap.query import IndexOpenError, OverlapIndex
from licenselens.overlap.verdict import reaches
from licenselens.privacy import MaskedConsole
from licenselens.reporters.overlap_reporters import OVERLAP_REPORTERS
from licenselens.sources.manifest import ManifestError, load_manifest
from licenselens.sources.readers import infer_format, read_documents
from licenselens.types.convert import asdict
from licenselens.types.corpus import DatasetSpec, Document, DocumentError
from licenselens.types.overlap import OVERLAP_VERDICTS


def _read_outputs(paths, text_field: str, id_field: str):
    """Outputs as documents: '-' is standard input (one output); a manifest gives its [[outputs]]."""
    for path in paths:
        if path == "-":
            yield Document("stdin", "-", sys.stdin.read(), "-")
            continue
        if path.endswith(".toml"):
            specs = load_manifest(path).outputs
        else:
            fmt = infer_format(Path(path)) if os.path.isdir(path) or "." in os.path.basename(path) else "text"
            specs = (
                DatasetSpec(
                    name="outputs",
                    stage="other",
                    kind="other",
                    paths=(path,),
                    format=fmt,
                    text_field=(text_field,),
                    text_field_given=True,
                    id_field=id_field,
                ),
            )
        for spec in specs:
            yield from read_documents(spec)


def overlap_command_body(
    index_path, outputs, text_field, id_field, fmt, output, fail_on, engine="local", ray_address=None
) -> None:
    reporter = OVERLAP_REPORTERS[fmt]()
    if reporter.binary and not output:
        raise click.UsageError(f"--format {fmt} needs -o FILE")
    try:
        index = OverlapIndex(index_path, engine, ray_address)
    except IndexOpenError as exc:
        raise InputError(str(exc)) from exc
    results, errors = [], []
    try:
        for item in _read_outputs(outputs, text_field, id_field):
            if isinstance(item, DocumentError):
                if not item.code.startswith("skipped-"):
                    errors.append(item)
            else:
                results.append(index.check(item.text, item.doc_id))
    except ManifestError as exc:
        raise InputError(str(exc)) from exc
    m = index.manifest
    header = {
        "tool": m["tool"],
        "index": {
            "path": index.location,
            "n": m["n"],
            "gram": m["gram"],
            "documents": m["counts"]["documents"],
            "tokens": m["counts"]["tokens"],
            "tokeniser": m["tokeniser"],
        },
        "errors": [asdict(e) for e in errors],
    }
    if output:
        with atomic_output(output, reporter.binary) as fh:
            reporter.write(header, results, fh)
    else:
        reporter.write(header, results, sys.stdout)
    stderr = MaskedConsole(stderr=True, highlight=False)
    for error in errors:
        stderr.print(f"[red]error[/red] {error.origin}: {error.code}: {error.message}")
    if fail_on and any(reaches(r.verdict, fail_on) for r in results):
        sys.exit(1)
    sys.exit(2 if errors else 0)


@click.command("overlap")
@click.option("--index", "index_path", required=True, type=IndexLocation(), help="The index (a folder or URI).")
@click.argument("outputs", nargs=-1, required=True)
@click.option("--text-field", default="text", show_default=True)
@click.option("--id-field", default="id", show_default=True)
@click.option("--format", "fmt", type=click.Choice(sorted(OVERLAP_REPORTERS)), default="table", show_default=True)
@output_option
@click.option(
    "--fail-on",
    type=click.Choice(OVERLAP_VERDICTS[:-1]),
    help="Exit 1 when an output reaches this verdict (verbatim > near-verbatim > derivative).",
)
@query_engine_options
def overlap_command(index_path, outputs, text_field, id_field, fmt, output, fail_on, engine, ray_address) -> None:
    """Verbatim spans, near copies and a verdict for each model output in OUTPUTS (JSONL, Parquet,
    text files, a manifest's [[outputs]], or - for standard input)."""
    overlap_command_body(index_path, outputs, text_field, id_field, fmt, output, fail_on, engine, ray_address)
