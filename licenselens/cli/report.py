"""``licenselens report``: the reports of an audit again, from its results.json, without rescanning."""

from __future__ import annotations

import click

from licenselens.audit.load import ResultsError, load_results
from licenselens.cli.audit import finish
from licenselens.cli.errors import InputError


@click.command("report")
@click.argument("results_path", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output-dir", required=True, type=click.Path(file_okay=False))
def report_command(results_path, output_dir) -> None:
    """Re-render the reports of an audit from its RESULTS_PATH (results.json), without rescanning;
    the fair-use rationale and AI Act summary follow the current rules/ texts."""
    try:
        results = load_results(results_path)
    except ResultsError as exc:
        raise InputError(f"{results_path}: {exc}") from exc
    finish(results, output_dir, None)
