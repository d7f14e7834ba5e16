"""`licenselens scan` on hostile trees: every bad file gets its own error or classification, every good file
beside it is still scanned, nothing is written into the tree, the run ends with exit 0 and bounded memory."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from .conftest import BOUND_WITH_INDEX, BOUND_WITHOUT_INDEX, GiB, mit_text, run_cli, snapshot, sparse_single_line

DEEP = "[" * 100_000 + "]" * 100_000


def build_tree(root, outside):
    """Good files beside binary, mis-encoded, empty, deeply nested and special ones, links that loop or escape."""
    (root / "src").mkdir(parents=True)
    (root / "LICENSE").write_text(mit_text(), encoding="utf-8")
    (root / "src" / "main.c").write_text("/* SPDX-License-Identifier: Apache-2.0 */\nint main(void) { return 0; }\n")
    (root / "new\nline.txt").write_text("SPDX-License-Identifier: BSD-3-Clause\n")
    (root / os.fsdecode(b"bad\xffname.txt")).write_text("SPDX-License-Identifier: ISC\n")
    (root / "fake.py").write_bytes(bytes(range(256)) * 40)  # a binary file with a text extension
    (root / "nul.txt").write_bytes(b"SPDX-License-Identifier: GPL-2.0-only\n\0\0\0 trailing NULs\n")
    (root / "empty.txt").write_bytes(b"")
    (root / "latin1.txt").write_bytes("SPDX-License-Identifier: MIT\n© 2020 Zoë Müller\n".encode("latin-1"))
    (root / "mixed.md").write_bytes(
        "SPDX-License-Identifier: MPL-2.0\n# Ünïcode\n".encode()
        + "Grüße aus Köln\n".encode("cp1252")
        + b"\x81\x8d\xff\n"
    )
    (root / "utf16-bom.txt").write_bytes("SPDX-License-Identifier: Zlib\nhello\n".encode("utf-16"))
    (root / "utf16-nobom.txt").write_bytes("SPDX-License-Identifier: 0BSD\nhello\n".encode("utf-16-le"))
    (root / "deep.json").write_text(DEEP)
    (root / "package.json").write_text(DEEP)
    (root / "REUSE.toml").write_text(f"version = 1\nx = {DEEP}\n")
    (root / "loop-a").symlink_to("loop-b")
    (root / "loop-b").symlink_to("loop-a")
    (root / "here").symlink_to(".")  # a folder link back to the root: walked once, never followed
    (root / "dangling").symlink_to("no-such-file")
    (outside / "secret.txt").write_text("SPDX-License-Identifier: GPL-3.0-only\n")
    (root / "escape-file").symlink_to(outside / "secret.txt")
    (root / "escape-dir").symlink_to(outside)
    os.mkfifo(root / "pipe")  # open() would wait for a writer forever


EXPECTED_ERRORS = {
    "loop-a": ("broken-symlink", "loops"),
    "loop-b": ("broken-symlink", "loops"),
    "dangling": ("broken-symlink", "broken"),
    "escape-file": ("symlink-outside-root", "outside the scanned root"),
    "escape-dir": ("symlink-outside-root", "outside the scanned root"),
    "pipe": ("not-a-regular-file", "named pipe"),
    "REUSE.toml": ("invalid-reuse-toml", "nested too deeply"),
}
EXPECTED_LICENCES = {
    "LICENSE": "MIT",
    "src/main.c": "Apache-2.0",
    "new\nline.txt": "BSD-3-Clause",
    "bad\ufffdname.txt": "ISC",
    "latin1.txt": "MIT",
    "mixed.md": "MPL-2.0",
    "utf16-bom.txt": "Zlib",
    "utf16-nobom.txt": "0BSD",
}


@pytest.mark.slow
def test_hostile_tree_scans_with_an_error_per_bad_file(tmp_path):
    root, outside = tmp_path / "tree", tmp_path / "outside"
    outside.mkdir()
    build_tree(root, outside)
    before = snapshot(root)
    run = run_cli("scan", root, "--format", "json", "-o", tmp_path / "scan.json", "--no-cache", "-j", "2", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert snapshot(root) == before
    assert run.peak_rss < BOUND_WITH_INDEX

    files = {f["path"]: f for f in json.loads((tmp_path / "scan.json").read_text(encoding="utf-8"))["files"]}
    assert not [p for p in files if p.startswith("here/")]  # the loop was not entered
    for path, (code, words) in EXPECTED_ERRORS.items():
        errors = files[path]["errors"]
        assert [e["code"] for e in errors] == [code] and words in errors[0]["message"], (path, errors)
        assert f"{path}: {code}" in run.stderr
    for path, licence in EXPECTED_LICENCES.items():  # good files, odd names and encodings among them
        assert files[path]["license_expression_spdx"] == licence, (path, files[path])
        assert files[path]["file_type"] == "text" and not files[path]["errors"], path
    for path in ("latin1.txt", "mixed.md"):
        assert [w["code"] for w in files[path]["warnings"]] == ["decode"], path
    assert not files["utf16-bom.txt"]["warnings"] and not files["utf16-nobom.txt"]["warnings"]
    for path, kind in (("fake.py", "binary"), ("empty.txt", "empty")):
        assert files[path]["file_type"] == kind and files[path]["skipped"] and not files[path]["errors"], path
    # text with NUL bytes is binary to a sniffer, but ScanCode reads its text, and so does the scan
    nul = files["nul.txt"]
    assert nul["file_type"] == "binary" and not nul["skipped"] and nul["license_expression_spdx"] == "GPL-2.0-only"
    for path in ("deep.json", "package.json"):  # ScanCode's parsers give up on them without failing the file
        assert files[path]["file_type"] == "text" and not files[path]["errors"], files[path]
    failed = sum(1 for f in files.values() if f["errors"])
    assert failed == len(EXPECTED_ERRORS)
    assert f"{len(files)} files:" in run.stderr and f"{failed} failed" in run.stderr


@pytest.mark.slow
def test_a_one_gigabyte_single_line_file_is_refused_by_size_without_being_read(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    sparse_single_line(root / "huge.txt", GiB, b"Copyright 2024 Huge File Author; " * 100)
    (root / "good.txt").write_text("Copyright 2024 Alice Example\n")
    before = snapshot(root)
    run = run_cli("scan", root, "--format", "json", "-o", tmp_path / "scan.json", "--no-cache", cwd=tmp_path)
    assert run.returncode == 0 and snapshot(root) == before
    assert run.peak_rss < BOUND_WITHOUT_INDEX  # a read of the file would take 1 GiB
    files = {f["path"]: f for f in json.loads((tmp_path / "scan.json").read_text(encoding="utf-8"))["files"]}
    huge = files["huge.txt"]
    assert huge["sha256"] is None and [e["code"] for e in huge["errors"]] == ["too-large"]
    assert f"{GiB} bytes is over the {50 * 2**20}-byte limit (--max-file-size)" in huge["errors"][0]["message"]
    assert "huge.txt: too-large" in run.stderr
    assert files["good.txt"]["copyrights"][0]["value"].startswith("Copyright 2024 Alice")


def test_a_named_pipe_given_as_the_path_is_an_error_not_a_hang(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    run = run_cli("scan", "pipe", "--format", "json", "--no-cache", cwd=tmp_path, timeout=60)
    assert run.returncode == 2  # there was a file and none could be scanned
    assert "pipe: not-a-regular-file: named pipe: not read" in run.stderr


@pytest.mark.parametrize("git", [False, True], ids=["folder", "git-work-tree"])
def test_unreadable_files_and_folders_get_an_error(tmp_path, unprivileged, git):
    root = tmp_path / "tree"
    (root / "locked").mkdir(parents=True)
    (root / "good.txt").write_text("Copyright 2024 Alice Example\n")
    (root / "secret.txt").write_text("Copyright 2024 Secret Holder\n")
    (root / "locked" / "inner.txt").write_text("Copyright 2024 Inner Holder\n")
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    os.chmod(root / "secret.txt", 0)
    os.chmod(root / "locked", 0)
    try:
        before = snapshot(root)
        run = run_cli(
            "scan",
            root,
            "--format",
            "json",
            "-o",
            tmp_path / "scan.json",
            "--no-cache",
            cwd=tmp_path,
            prefix=unprivileged,
        )
        assert snapshot(root) == before
    finally:
        os.chmod(root / "secret.txt", 0o644)
        os.chmod(root / "locked", 0o755)
    assert run.returncode == 0 and run.peak_rss < BOUND_WITHOUT_INDEX
    files = {f["path"]: f for f in json.loads((tmp_path / "scan.json").read_text(encoding="utf-8"))["files"]}
    assert [(e["code"], e["message"]) for e in files["secret.txt"]["errors"]] == [("unreadable", "Permission denied")]
    assert [(e["code"], e["message"]) for e in files["locked"]["errors"]] == [
        ("unreadable", "folder cannot be listed: Permission denied")
    ]
    assert "secret.txt: unreadable" in run.stderr and "locked: unreadable" in run.stderr
    assert files["good.txt"]["copyrights"][0]["value"].startswith("Copyright 2024 Alice")


@pytest.mark.slow
def test_a_file_that_makes_scancode_grow_without_bound_gets_an_out_of_memory_error(tmp_path):
    """A megabyte of concatenated licence texts: ScanCode's matcher grows with it (20 MB of them reached 20 GB
    before the kernel killed the scan). The allowance stops that file; the same worker then scans the next."""
    root = tmp_path / "tree"
    root.mkdir()
    notice = f"Copyright 2020 Someone\n{mit_text()}\n"
    (root / "NOTICES.txt").write_text(notice * (1_000_000 // len(notice)))
    (root / "LICENSE").write_text(mit_text())
    before = snapshot(root)
    run = run_cli(
        "scan",
        root,
        "--format",
        "json",
        "-o",
        tmp_path / "scan.json",
        "--no-cache",
        "-j",
        "1",
        "--max-memory",
        "64",
        "--timeout",
        "5",
        cwd=tmp_path,
    )
    assert run.returncode == 0 and snapshot(root) == before
    assert run.peak_rss < BOUND_WITH_INDEX
    files = {f["path"]: f for f in json.loads((tmp_path / "scan.json").read_text(encoding="utf-8"))["files"]}
    errors = {e["detector"]: (e["code"], e["message"]) for e in files["NOTICES.txt"]["errors"]}
    assert errors["licensedcode"] == ("out-of-memory", "more than 64 MiB of memory for one file (--max-memory)")
    assert "copyright" not in errors  # cluecode's repeated work is done once: the megabyte takes it seconds
    assert {c["value"] for c in files["NOTICES.txt"]["copyrights"]} == {"Copyright 2020 Someone"}
    assert "NOTICES.txt: out-of-memory" in run.stderr
    assert files["LICENSE"]["license_expression_spdx"] == "MIT"  # scanned after it, in the same process
