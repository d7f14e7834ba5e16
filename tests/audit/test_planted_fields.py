"""Personal data planted in every field a document can carry (its id, text, URL, source, repo, path and licence
fields; copyright, SPDX-FileCopyrightText and AUTHORS lines; a folder name of a source tree; a model output's id
and text) reaches no output unmasked: not one file of `audit` (reports, machine formats, work files), `report`,
`corpus`, `scan` and `check` in every format, `overlap` in every format, nor the terminal. Masked forms are
there (the statements are kept), so the search is shown to look at the right places.

The one exception is by design: the overlap index keeps the training data itself (its compressed texts and its
documents' ids, which are join keys), documented in docs/privacy.md; the test checks that it does hold the
values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from licenselens.reporters import CHECK_REPORTERS, REPORTERS
from licenselens.reporters.overlap_reporters import OVERLAP_REPORTERS
from tests.audit.conftest import run_cli
from tests.audit.test_privacy import texts_of, variants

pytestmark = pytest.mark.slow

EMAIL = "jane.roe@mail.licenselens-sample.net"
EMAIL_2 = "wei.zhang@mail.licenselens-sample.net"
PHONE = "+49 30 87518440"
MOBILE = "13987654321"
IP = "203.0.113.77"
CN_ID = "11010119900307123X"
PLANTED = (EMAIL, EMAIL_2, PHONE, MOBILE, IP, CN_ID)
MASKED = ("j***@m***.net", "w***@m***.net")

PASSAGE = (
    "The river keeps its own counsel in the long evenings of the north, and the ferrymen who cross it speak of "
    "currents that change their minds between one season and the next, so that no chart is ever quite right and "
    "every crossing is a small negotiation with the water itself. "
) * 2
NOTICE = (
    f"Copyright (c) 2023 Jane Roe <{EMAIL}>\nCopyright 2024 Nordlicht Consulting GmbH, Tel. {PHONE}\n"
    f"SPDX-FileCopyrightText: 2022 Wei Zhang <{EMAIL_2}>\nLicensed under the MIT License.\n"
)
MANIFEST = """
[[datasets]]
name = "web"
stage = "pretraining"
kind = "web"
paths = ["data/web.jsonl"]
[datasets.fields]
url = "url"
license = "license"
source = "source"
repo = "repo"
path = "path"

[[datasets]]
name = "code"
stage = "pretraining"
kind = "code"
paths = ["tree"]
format = "tree"

[[outputs]]
name = "outs"
paths = ["outs/out.jsonl"]
"""


def build(root: Path) -> Path:
    records = [
        {
            "id": f"{EMAIL_2}/post-1",
            "text": PASSAGE + f"Contact me at {EMAIL} or {MOBILE}.\n" + NOTICE,
            "url": f"https://forum.licenselens-sample.net/u/{EMAIL}",
            "license": f"MIT (ask {EMAIL})",
            "source": f"mailto:{EMAIL_2}",
            "repo": f"https://git.licenselens-sample.net/{EMAIL}/notes",
            "path": f"users/{EMAIL}/post.txt",
        },
        {"id": "post-2", "text": f"Customer {CN_ID} from {IP} paid.\n" + NOTICE, "url": f"tel:{PHONE}"},
        {"id": f"broken-{MOBILE}", "text": 42},  # a bad record: its error names it
    ]
    (root / "data").mkdir(parents=True)
    (root / "data" / "web.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    folder = root / "tree" / EMAIL
    folder.mkdir(parents=True)
    (folder / "tool.py").write_text(
        "".join(f"# {line}\n" for line in NOTICE.splitlines()) + f"CONTACT = '{EMAIL_2}'\nprint(1)\n", encoding="utf-8"
    )
    (root / "tree" / "LICENSE").write_text(NOTICE, encoding="utf-8")
    (root / "tree" / "AUTHORS").write_text(f"Jane Roe <{EMAIL}>\nWei Zhang {MOBILE}\n", encoding="utf-8")
    (root / "outs").mkdir()
    output = {"id": f"answer-for-{EMAIL}", "text": f"Write to {EMAIL}. As the essay said: " + PASSAGE}
    (root / "outs" / "out.jsonl").write_text(json.dumps(output) + "\n", encoding="utf-8")
    (root / "licenselens.toml").write_text(MANIFEST, encoding="utf-8")
    return root / "licenselens.toml"


def index_copies(out: Path) -> set[Path]:
    """The index's copy of the training data: compressed texts and the documents' ids (join keys)."""
    return set(out.rglob("texts.bin")) | set(out.rglob("docs.parquet"))


def leaks_in(paths, terminal: str) -> list[tuple[str, str]]:
    found = [
        (str(path), value)
        for path in paths
        for text in texts_of(path)
        for planted in PLANTED
        for value in variants(planted)
        if value in text
    ]
    return found + [("terminal", v) for planted in PLANTED for v in variants(planted) if v in terminal]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    manifest = build(root / "m")
    out = root / "out"
    done = run_cli("audit", str(manifest), "-o", str(out), "--jobs", "2", "--no-cache")
    return root, manifest, out, done


def test_audit_and_report_outputs_hold_no_planted_value(planted):
    root, _, out, done = planted
    assert done.returncode == 2, done.stderr[-4000:]  # the bad record is reported, the rest goes on
    copies = index_copies(out)
    files = [p for p in sorted(out.rglob("*")) if p.is_file() and p not in copies]
    assert {"results.json", "report.html", "corpus.parquet", "NOTICE.txt", "rows.parquet"} <= {p.name for p in files}
    assert any(p.parent.name == "trees" for p in files)
    again = run_cli("report", str(out / "results.json"), "-o", str(root / "again"))
    assert again.returncode == 2, again.stderr[-4000:]  # the same exit as the audit it re-renders
    files += sorted(p for p in (root / "again").rglob("*") if p.is_file())
    terminal = done.stdout + done.stderr + again.stdout + again.stderr
    assert leaks_in(files, terminal) == []
    results = (out / "results.json").read_text(encoding="utf-8")
    assert all(m in results for m in MASKED)  # ids, paths and statements are there, masked
    assert "Nordlicht Consulting GmbH" in results and "bad-field" in results
    assert any(EMAIL in t for p in copies for t in texts_of(p))  # the index's copy holds them: the search works
    output = json.loads(results)["overlap"]["outputs"][0]
    span = max(output["spans"], key=lambda s: s["tokens"])  # offsets still hold in the masked text
    shown = output["text"][span["start_char"] : span["end_char"]]
    assert shown.startswith("The river keeps") and PASSAGE.startswith(shown) and len(shown) > 500


def test_corpus_scan_check_and_overlap_in_every_format_hold_no_planted_value(planted, tmp_path):
    root, manifest, out, _ = planted
    files, terminal = [], ""

    def run(*args):
        nonlocal terminal
        done = run_cli(*args, cwd=root)
        assert done.returncode in (0, 1, 2), (args, done.stderr[-4000:])
        terminal += done.stdout + done.stderr

    run("corpus", str(manifest), "-o", str(tmp_path / "corpus"), "--no-cache", "--format", "json")
    files += [p for p in (tmp_path / "corpus").rglob("*") if p.is_file()]
    for i, (fmt, reporter) in enumerate(REPORTERS.items()):
        target = tmp_path / f"scan.{fmt}"
        # analysed once, then from the cache (which holds masked findings only): every reporter still renders
        fresh = ["--no-cache"] if i == 0 else []
        run("scan", str(root / "m" / "tree"), *fresh, "--format", fmt, "-o", str(target))
        if not reporter.needs_file:
            run("scan", str(root / "m" / "tree"), "--format", fmt)  # to the terminal too
        files.append(target)
    for fmt in CHECK_REPORTERS:
        run("check", str(root / "m" / "tree" / EMAIL / "tool.py"), "--format", fmt)
    for fmt, reporter in OVERLAP_REPORTERS.items():
        target = tmp_path / f"overlap.{fmt}"
        run("overlap", "--index", str(out / "index"), str(root / "m" / "outs" / "out.jsonl"), "--format", fmt,
            "-o", str(target))  # fmt: skip
        if not reporter.binary:
            run("overlap", "--index", str(out / "index"), str(root / "m" / "outs" / "out.jsonl"), "--format", fmt)
        files.append(target)
    assert all(p.exists() for p in files)
    assert leaks_in(files, terminal) == []
    assert any(m in terminal for m in MASKED)
