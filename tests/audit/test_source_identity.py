"""Documents keep distinct identities when names repeat: a span's source passage is the document it came from."""

from __future__ import annotations

import json
import os

import pytest

from tests.audit.conftest import run_cli

pytestmark = pytest.mark.slow

POEM = (
    "The lantern keeper climbs the stair at dusk and trims the wick before the fog comes in, "
    "counting ships by the sound of their bells and writing each one in a ledger bound in blue. "
)
SONG = (
    "Row the little boat across the bay where herons stand in the shallow water, and sing the old "
    "verse about the miller's daughter until the far shore rises green and the oars rest at last. "
)
RECIPE = (
    "Whisk two eggs with a cup of milk, fold in the flour a spoonful at a time, and rest the batter "
    "for an hour before the first pancake meets the pan, which should be hot but not smoking. "
)


def short(origin: str) -> str:
    """Tree origins are relative ('beta/notes.txt'); record origins carry the file's full path."""
    return os.path.basename(origin) if os.path.isabs(origin) else origin


def test_same_file_name_in_two_roots_and_same_id_in_two_files(tmp_path):
    for root, text in (("alpha", POEM), ("beta", RECIPE)):
        (tmp_path / root).mkdir()
        (tmp_path / root / "notes.txt").write_text(text * 3, encoding="utf-8")
    # two JSONL files whose records reuse the id "1"
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"id": "1", "text": SONG * 2, "license": "CC-BY-4.0"}) + "\n", encoding="utf-8"
    )
    (tmp_path / "b.jsonl").write_text(
        json.dumps({"id": "1", "text": RECIPE * 2, "license": "MIT"}) + "\n", encoding="utf-8"
    )
    outputs = [{"id": "copy-recipe", "text": RECIPE * 2}, {"id": "copy-song", "text": SONG * 2}]
    (tmp_path / "outputs.jsonl").write_text("".join(json.dumps(o) + "\n" for o in outputs), encoding="utf-8")
    (tmp_path / "licenselens.toml").write_text(
        '''
[[datasets]]
name = "trees"
stage = "pretraining"
kind = "code"
paths = ["alpha", "beta"]
format = "tree"

[[datasets]]
name = "records"
stage = "sft"
kind = "qa"
paths = ["a.jsonl", "b.jsonl"]
format = "jsonl"
[datasets.fields]
license = "license"

[[outputs]]
name = "outputs"
paths = ["outputs.jsonl"]
format = "jsonl"
''',
        encoding="utf-8",
    )
    done = run_cli("audit", str(tmp_path / "licenselens.toml"), "-o", str(tmp_path / "out"), "--jobs", "1")
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    ids = sorted((r["dataset"], r["doc_id"]) for r in results["documents"]["rows"])
    assert ("trees", "alpha/notes.txt") in ids and ("trees", "beta/notes.txt") in ids
    recipe, song = results["overlap"]["outputs"]
    assert recipe["verdict"] == song["verdict"] == "verbatim"
    assert {short(src["origin"]) for s in recipe["spans"] for src in s["sources"]} == {"beta/notes.txt", "b.jsonl:1"}
    assert {short(src["origin"]) for s in song["spans"] for src in s["sources"]} == {"a.jsonl:1"}
    # and the licence of each source is its own record's
    licences = {
        short(src["origin"]): src["license"] for o in (recipe, song) for s in o["spans"] for src in s["sources"]
    }
    assert licences["a.jsonl:1"] == "CC-BY-4.0" and licences["b.jsonl:1"] == "MIT"
    for output in (recipe, song):
        shown = [s for s in output["spans"] if s["source_passage"]]
        assert shown
        for span in shown:  # the passage shown comes from the document named, not another with its id
            assert span["source_passage"]["match"] == output["text"][span["start_char"] : span["end_char"]]
