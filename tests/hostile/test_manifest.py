"""Hostile manifests at the command line: a usage error (exit 2) naming the file, the line where there is one,
and the field; never a traceback, never an output folder. tests/sources/test_manifest.py and
tests/corpus/test_bad_input.py cover the wrong values of stage, kind, licence, paths, fields and text_field."""

from __future__ import annotations

import pytest

from .conftest import run_cli

DATASET = '[[datasets]]\nname = "d"\nstage = "sft"\nkind = "qa"\npaths = ["a.jsonl"]\n'


CASES = [
    ("datasets = [5]\n", "licenselens.toml: datasets[0]: must be a table"),
    ('[datasets]\nname = "d"\n', "licenselens.toml:1: datasets: the manifest needs at least one [[datasets]] table"),
    (DATASET.replace('name = "d"', "name = 5"), "licenselens.toml:2: datasets[0].name: must be a non-empty string"),
    (DATASET + "id_field = [1]\n", "licenselens.toml:6: datasets[0] (d).id_field: must be a non-empty string"),
    (DATASET + "license = 3.5\n", "licenselens.toml:6: datasets[0] (d).license: must be a non-empty string"),
    (DATASET + "[datasets.fields]\nurl = 5\n", "licenselens.toml:7: datasets[0] (d).fields.url: must name a record"),
    (
        DATASET.replace('["a.jsonl"]', '["a\\u0000.jsonl"]'),
        "licenselens.toml:5: datasets[0] (d).paths: a path cannot contain a NUL",
    ),
    ("model = 5\n" + DATASET, "licenselens.toml: model: must be a table"),
    (DATASET + "[model]\nname = 2024-06-01\n", "licenselens.toml:7: model.name: must be a string"),
    (DATASET + '[processing]\ndedup = "yes"\n', "licenselens.toml:7: processing.dedup: must be true or false"),
    (DATASET + '[[outputs]]\nname = "o"\npaths = [[1]]\n', "licenselens.toml:8: outputs[0] (o).paths: must be a"),
    ("x = " + "[" * 100_000 + "]" * 100_000 + "\n", "licenselens.toml: invalid TOML: arrays or tables nested too"),
    ("x = " + "{a = " * 100_000 + "1" + "}" * 100_000 + "\n", "licenselens.toml: invalid TOML: arrays or tables"),
    (b"\xff\xfe[\x00[\x00", "licenselens.toml: not UTF-8 text"),
]


@pytest.mark.parametrize("text, message", CASES, ids=[m.split(": ", 1)[1][:40] for _, m in CASES])
def test_a_bad_manifest_is_a_usage_error(tmp_path, text, message):
    path = tmp_path / "licenselens.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    (tmp_path / "a.jsonl").write_text('{"text": "a"}\n')
    run = run_cli("corpus", path, "-o", tmp_path / "out", cwd=tmp_path, timeout=60)
    assert run.returncode == 2
    assert message in " ".join(run.stderr.split()), run.stderr
    assert not (tmp_path / "out").exists()
