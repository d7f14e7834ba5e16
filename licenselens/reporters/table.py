"""The terminal view: a rich table of files with licences, then the summary."""

from __future__ import annotations

from typing import IO

from rich.console import Console
from rich.table import Table

from licenselens.reporters.base import Reporter
from licenselens.types.scan import ScanResult

CATEGORY_STYLE = {
    "Permissive": "green",
    "Public Domain": "green",
    "Copyleft": "red",
    "Copyleft Limited": "yellow",
    "Commercial": "magenta",
    "Proprietary Free": "magenta",
    "Source-available": "magenta",
}


class TableReporter(Reporter):
    def render(self, result: ScanResult, out: IO) -> None:
        console = Console(file=out, width=max(100, Console(file=out).width), highlight=False)
        files = Table(title="Files", show_lines=False)
        for column in ("path", "licence (SPDX)", "category", "detectors", "copyright holders", "notes"):
            files.add_column(column, overflow="fold")
        for f in result.files:
            categories = sorted({d.category for d in f.detections})
            cat_text = ", ".join(f"[{CATEGORY_STYLE.get(c, 'white')}]{c}[/]" for c in categories)
            notes = "; ".join([e.code for e in f.errors] + ([f.skipped] if f.skipped else []))
            files.add_row(
                f.path,
                f.license_expression_spdx or "-",
                cat_text,
                ", ".join(sorted({name for d in f.detections for name in (d.detector, *d.also_detected_by)})),
                ", ".join(sorted({h.value for h in f.holders})),
                notes,
            )
        console.print(files)

        s = result.summary
        totals = Table(title="Summary", show_header=False)
        totals.add_column("what")
        totals.add_column("value", overflow="fold")
        totals.add_row(
            "declared licence",
            f"{s.declared_license_expression_spdx or '-'} ({', '.join(s.declared_license_sources) or 'no declaring file'})",
        )
        totals.add_row("files", f"{s.files} ({s.scanned} text, {s.binary} binary, {s.failed} with errors)")
        totals.add_row("files without licence", str(len(s.files_without_license)))
        totals.add_row("categories", ", ".join(f"{k}: {v}" for k, v in s.categories.items()) or "-")
        totals.add_row("copyleft present", ", ".join(s.copyleft) or "none")
        totals.add_row("non-commercial present", ", ".join(s.non_commercial) or "none")
        totals.add_row("top holders", ", ".join(f"{h} ({n})" for h, n in list(s.holders.items())[:8]) or "-")
        console.print(totals)

        lic = Table(title="Licences found")
        lic.add_column("SPDX expression", overflow="fold")
        lic.add_column("category")
        lic.add_column("files", justify="right")
        for item in s.licenses:
            lic.add_row(item.license_expression_spdx, item.category, str(item.files))
        console.print(lic)
