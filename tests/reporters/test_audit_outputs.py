"""The registry of the audit's files: each key is its writer's file name, and each is documented."""

from __future__ import annotations

from licenselens.reporters.audit_base import AuditWriter
from licenselens.reporters.audit_outputs import AUDIT_WRITERS
from tests.conftest import REPO


def test_every_writer_is_registered_under_its_file_name():
    for name, writer in AUDIT_WRITERS.items():
        assert issubclass(writer, AuditWriter) and writer.filename == name


def test_every_file_is_documented():
    schema = (REPO / "docs" / "results-schema.md").read_text(encoding="utf-8")
    for name in AUDIT_WRITERS:
        assert f"`{name}`" in schema, name


def test_source_tree_formats_are_skipped_without_source_trees():
    tree_formats = {name for name, writer in AUDIT_WRITERS.items() if not writer().wanted({"trees": []})}
    assert tree_formats == {"summary.spdx.json", "bom.cdx.json", "findings.sarif"}
