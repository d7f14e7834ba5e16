"""Every registered format writes a whole result (pip-audit style exhaustive check)."""

from __future__ import annotations

import pytest

from licenselens.atomic import atomic_output
from licenselens.reporters import REPORTERS
from licenselens.scan.options import ScanOptions
from licenselens.scan.runner import scan_tree

from ..conftest import SAMPLES


@pytest.fixture(scope="module")
def result():
    return scan_tree([str(SAMPLES / "src")], ScanOptions(jobs=1, use_cache=False))[0]


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_every_format_writes(result, name, tmp_path):
    reporter = REPORTERS[name]()
    target = tmp_path / f"out.{name}"
    with atomic_output(str(target), reporter.binary) as fh:
        reporter.write(result, fh)
    assert target.stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir()] == [target.name], "no temporary file left behind"


def test_registry_is_exactly_the_documented_formats():
    assert set(REPORTERS) == {"table", "json", "jsonl", "parquet"}


def test_atomic_output_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "r.json"
    with pytest.raises(RuntimeError):
        with atomic_output(str(target), binary=False) as fh:
            fh.write("partial")
            raise RuntimeError("crash while writing")
    assert list(tmp_path.iterdir()) == []
