"""The corpus summary as a rich table: one row per dataset, the headline figures underneath."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _top(counts: dict, n: int = 2) -> str:
    return ", ".join(f"{k} ({v})" for k, v in list(counts.items())[:n])


def render_corpus_summary(summary: Mapping[str, Any], console: Console) -> None:
    table = Table(title=f"licenselens corpus — {summary['model']['name'] or summary['manifest']}", show_lines=False)
    for column, justify in (
        ("dataset", "left"),
        ("stage/kind", "left"),
        ("docs", "right"),
        ("MB", "right"),
        ("declared", "left"),
        ("detected (docs)", "left"),
        ("mismatch", "right"),
        ("opt-out", "right"),
        ("PII", "right"),
        ("dup + near", "right"),
        ("errors", "right"),
    ):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for d in summary["datasets"]:
        table.add_row(
            d["name"],
            f"{d['stage']}/{d['kind']}",
            f"{d['documents']:,}",
            f"{d['bytes'] / 1e6:.2f}",
            d["declared_license"] or ", ".join(k for k in d["declared_licenses"] if k != "none") or "—",
            _top({k: v for k, v in d["licenses"].items() if k != "none"}) or "—",
            _pct(d["license_mismatch"]["share"]),
            _pct(d["tdm_opt_out"]["share"]),
            _pct(d["personal_information"]["share"]),
            f'{_pct(d["duplicates"]["share"])} + {_pct(d["near_duplicates"]["share"])}',
            str(len(d["errors"])),
        )
    console.print(table)
    t = summary["totals"]
    mislabelled = t["datasets_with_mismatches"]
    console.print(
        f"{t['documents']:,} documents, {t['bytes'] / 1e6:.2f} MB, {t['tokens']:,} tokens. "
        f"Datasets whose text contradicts their declared licence: {mislabelled['count']} of "
        f"{t['datasets_with_declared_license']} ({_pct(mislabelled['share'])}); documents: "
        f"{t['documents_with_mismatch']['documents']:,} ({_pct(t['documents_with_mismatch']['share'])}). "
        f"Opted out of AI training: {_pct(t['tdm_opt_out']['share'])}. "
        f"With personal information: {_pct(t['personal_information']['share'])}. "
        f"Duplicates: {_pct(t['duplicates']['share'])}, near duplicates: {_pct(t['near_duplicates']['share'])}. Bad inputs: {t['errors']}."
    )
    for d in summary["datasets"]:
        for error in d["errors"][:5]:
            console.print(
                f"[red]error[/red] {d['name']}: {error['origin']}: {error['code']}: {error['message']}", highlight=False
            )
        if len(d["errors"]) > 5:
            console.print(f"… and {len(d['errors']) - 5} more errors in {d['name']} (see the JSON summary)")
