from __future__ import annotations

import os

import pytest

from licenselens.scan.options import ScanOptions
from licenselens.scan.runner import scan_tree

from ..conftest import SAMPLES, scancode_licence_text

EXPECTED = {
    "LICENSE": "MIT",
    "pyproject.toml": "MIT",
    "src/lenscore/__init__.py": "MIT",
    "src/lenscore/dual.py": "MIT OR Apache-2.0",
    "src/lenscore/geometry.py": None,
    "plugins/gpl_plugin.py": "GPL-3.0-or-later",
    "vendor/fastjson/LICENSE": "Apache-2.0",
    "vendor/fastjson/fastjson.c": "Apache-2.0",
    "vendor/fastjson/package.json": "Apache-2.0",
    "vendor/fastjson/NOTICE": None,
    "proprietary/secret_sauce.py": "LicenseRef-scancode-proprietary-license",
    "docs/guide.md": "CC-BY-SA-4.0",
    "scripts/legacy_bsd.sh": "BSD-3-Clause",
    "assets/logo.png": "CC0-1.0",
    "data/cities.csv": "CC-BY-4.0",
}


@pytest.fixture(scope="module")
def sample_scan(tmp_path_factory):
    return scan_tree([str(SAMPLES)], ScanOptions(jobs=2, use_cache=False))


def test_samples_licences(sample_scan):
    result, stats = sample_scan
    files = {f.path: f for f in result.files}
    for path, expected in EXPECTED.items():
        assert files[path].license_expression_spdx == expected, path
    assert files["assets/logo.png"].file_type == "binary" and files["assets/logo.png"].skipped
    s = result.summary
    assert s.declared_license_expression_spdx == "MIT"
    assert set(s.declared_license_sources) == {"LICENSE", "pyproject.toml"}
    assert "GPL-3.0-or-later" in s.copyleft
    assert "src/lenscore/geometry.py" in s.files_without_license
    assert s.holders["Example Lens Authors"] >= 3
    assert {"Permissive", "Copyleft", "Commercial"} <= set(s.categories)
    assert s.failed == 0 and stats.analysed == len(result.files)


def test_same_results_whatever_the_workers_and_the_cache(sample_scan, tmp_path):
    reference, _ = sample_scan
    cache = str(tmp_path / "cache")
    one, _ = scan_tree([str(SAMPLES)], ScanOptions(jobs=1, cache_dir=cache))
    warm, stats = scan_tree([str(SAMPLES)], ScanOptions(jobs=2, cache_dir=cache))
    assert one.to_dict() == reference.to_dict() == warm.to_dict()
    assert stats.from_cache == len(warm.files) and stats.analysed == 0


def test_identical_content_is_analysed_once(tmp_path):
    licence = (SAMPLES / "LICENSE").read_bytes()
    for sub in ("a", "b", "c"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "LICENSE").write_bytes(licence)
    result, stats = scan_tree([str(tmp_path)], ScanOptions(jobs=2, use_cache=False))
    assert stats.analysed == 1 and stats.deduplicated == 2
    assert {f.license_expression_spdx for f in result.files} == {"MIT"}


def test_bad_items_get_their_own_error_and_the_rest_carries_on(tmp_path):
    (tmp_path / "good.py").write_text("# SPDX-License-Identifier: MIT\n")
    (tmp_path / "big.txt").write_text("x" * 5000)
    (tmp_path / "latin1.txt").write_bytes("Copyright (c) 2020 J\xfcrgen M\xfcller\n".encode("latin-1"))
    (tmp_path / "empty").write_bytes(b"")
    os.symlink("/etc/passwd", tmp_path / "escape")
    before = sorted(os.listdir(tmp_path))
    result, _ = scan_tree([str(tmp_path)], ScanOptions(jobs=1, use_cache=False, max_file_size=4096))
    files = {f.path: f for f in result.files}
    assert files["good.py"].license_expression_spdx == "MIT"
    assert [e.code for e in files["big.txt"].errors] == ["too-large"]
    assert [e.code for e in files["escape"].errors] == ["symlink-outside-root"]
    assert [w.code for w in files["latin1.txt"].warnings] == ["decode"]
    assert files["empty"].file_type == "empty"
    assert result.summary.failed == 2
    assert sorted(os.listdir(tmp_path)) == before, "nothing may be written into the scanned tree"


def test_timeout_is_a_per_file_error(tmp_path):
    big = "\n".join((SAMPLES / "vendor/fastjson/LICENSE").read_text().splitlines() * 40)
    (tmp_path / "huge-licence.txt").write_text(big)
    (tmp_path / "ok.py").write_text("# SPDX-License-Identifier: MIT\n")
    result, _ = scan_tree([str(tmp_path)], ScanOptions(jobs=1, use_cache=False, timeout=0.1))
    files = {f.path: f for f in result.files}
    assert "timeout" in {e.code for e in files["huge-licence.txt"].errors}
    assert files["ok.py"].license_expression_spdx == "MIT"


def test_multiple_roots_are_prefixed(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x.py").write_text("x\n")
    (b / "x.py").write_text("y\n")
    result, _ = scan_tree([str(a), str(b)], ScanOptions(jobs=1, use_cache=False))
    paths = [f.path for f in result.files]
    assert len(paths) == 2 and paths[0].endswith("a/x.py") and paths[1].endswith("b/x.py")


def test_a_timed_out_file_is_not_retried_under_the_same_limit(tmp_path):
    big = "\n".join((SAMPLES / "vendor/fastjson/LICENSE").read_text().splitlines() * 40)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "huge-licence.txt").write_text(big)
    cache = str(tmp_path / "cache")
    first, s1 = scan_tree([str(tree)], ScanOptions(jobs=1, cache_dir=cache, timeout=0.1))
    again, s2 = scan_tree([str(tree)], ScanOptions(jobs=1, cache_dir=cache, timeout=0.1))
    assert s1.analysed == 1 and s2.analysed == 0 and again.to_dict() == first.to_dict()
    _, s3 = scan_tree([str(tree)], ScanOptions(jobs=1, cache_dir=cache, timeout=0.2))
    assert s3.analysed == 1, "a different limit must try again"


@pytest.mark.slow
def test_a_file_over_the_memory_allowance_is_not_retried_under_the_same_limits(tmp_path):
    # a megabyte of licence notices: ScanCode's matcher grows far past 64 MiB on it (tests/hostile)
    notice = f"Copyright 2020 Someone\n{scancode_licence_text('mit').read_text()}\n"
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "NOTICES.txt").write_text(notice * (1_000_000 // len(notice)))
    cache = str(tmp_path / "cache")
    limits = ScanOptions(jobs=1, cache_dir=cache, max_memory=64 * 2**20, timeout=30)
    first, s1 = scan_tree([str(tree)], limits)
    assert "out-of-memory" in {e.code for e in first.files[0].errors}
    again, s2 = scan_tree([str(tree)], limits)
    assert s1.analysed == 1 and s2.analysed == 0 and again.to_dict() == first.to_dict()
    _, s3 = scan_tree([str(tree)], ScanOptions(jobs=1, cache_dir=cache, max_memory=65 * 2**20, timeout=30))
    assert s3.analysed == 1, "a different allowance must try again"


def test_odd_file_names_are_scanned_and_reported(tmp_path):
    weird = os.fsencode(tmp_path) + b"/caf\xe9-latin1.py"
    with open(weird, "wb") as fh:
        fh.write(b"# SPDX-License-Identifier: MIT\n")
    (tmp_path / "new\nline.py").write_text("# SPDX-License-Identifier: Apache-2.0\n")
    result, _ = scan_tree([str(tmp_path)], ScanOptions(jobs=1, use_cache=False))
    files = {f.path: f.license_expression_spdx for f in result.files}
    assert files == {"caf\ufffd-latin1.py": "MIT", "new\nline.py": "Apache-2.0"}
    import json

    json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")  # serialisable as UTF-8
