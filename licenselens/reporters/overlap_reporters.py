"""Output formats of ``licenselens overlap``: table, json, jsonl, parquet (one row per output)."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import IO, ClassVar

from rich.console import Console
from rich.table import Table

from licenselens.privacy import redact
from licenselens.types.convert import to_jsonable
from licenselens.types.overlap import OutputResult


class OverlapReporter(ABC):
    """Writes the checked outputs of ``licenselens overlap`` after a header describing the index."""

    binary: ClassVar[bool] = False

    def write(self, header: dict, outputs: list[OutputResult], out: IO) -> None:
        """Write everything to an open stream, personal data masked (the one way out)."""
        self.render(redact(header), redact(outputs), out)

    @abstractmethod
    def render(self, header: dict, outputs: list[OutputResult], out: IO) -> None: ...


class OverlapTable(OverlapReporter):
    def render(self, header: dict, outputs: list[OutputResult], out: IO) -> None:
        console = Console(file=out, width=None if out.isatty() else 140)
        table = Table(
            title=f"licenselens overlap — index of {header['index']['documents']:,} documents, "
            f"{header['index']['tokens']:,} tokens (n = {header['index']['n']})"
        )
        for column in (
            "output",
            "verdict",
            "tokens",
            "longest span (tokens / chars)",
            "coverage",
            "near copy (tokens / chars)",
            "similarity",
            "source",
            "licence",
        ):
            table.add_column(column, overflow="fold")
        for r in outputs:
            top = r.spans[0].sources[0] if r.spans and r.spans[0].sources else None
            near = max(r.near_copies, key=lambda c: (c.end_char - c.start_char, c.similarity), default=None)
            source = top or (near.source if near else None)
            table.add_row(
                r.id,
                r.verdict,
                str(r.tokens),
                f"{r.longest_span_tokens} / {r.longest_span_chars}",
                f"{r.coverage * 100:.1f}%",
                f"{near.tokens} / {near.end_char - near.start_char}" if near else "—",
                f"{near.similarity:.2f}" if near else "—",
                f"{source.dataset}:{source.doc_id}" if source else "—",
                (source.license if source else None) or "—",
            )
        console.print(table)


class OverlapJson(OverlapReporter):
    def render(self, header: dict, outputs: list[OutputResult], out: IO) -> None:
        json.dump({**header, "outputs": to_jsonable(outputs)}, out, indent=2, ensure_ascii=False)
        out.write("\n")


class OverlapJsonLines(OverlapReporter):
    def render(self, header: dict, outputs: list[OutputResult], out: IO) -> None:
        out.write(json.dumps({"type": "header", **header}, ensure_ascii=False) + "\n")
        for r in outputs:
            out.write(json.dumps({"type": "output", **to_jsonable(r)}, ensure_ascii=False) + "\n")


class OverlapParquet(OverlapReporter):
    """Scalar fields as columns; ``spans``, ``near_copies`` and ``precision`` as JSON text."""

    binary: ClassVar[bool] = True

    def render(self, header: dict, outputs: list[OutputResult], out: IO) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = []
        for r in outputs:
            data = to_jsonable(r)
            for key in ("spans", "near_copies", "precision"):
                data[key] = json.dumps(data[key], ensure_ascii=False)
            rows.append(data)
        schema = pa.schema(
            [
                ("id", pa.string()),
                ("verdict", pa.string()),
                ("tokens", pa.int64()),
                ("chars", pa.int64()),
                ("longest_span_tokens", pa.int64()),
                ("longest_span_chars", pa.int64()),
                ("coverage", pa.float64()),
                ("precision", pa.string()),
                ("spans", pa.string()),
                ("near_copies", pa.string()),
                ("near_copy_coverage", pa.float64()),
            ],
            metadata={"licenselens": json.dumps(header)},
        )
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), out)


OVERLAP_REPORTERS: dict[str, type[OverlapReporter]] = {
    "table": OverlapTable,
    "json": OverlapJson,
    "jsonl": OverlapJsonLines,
    "parquet": OverlapParquet,
}
