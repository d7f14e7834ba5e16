from __future__ import annotations

from licenselens.scan.options import ScanOptions
from licenselens.scan.reuse import reuse_glob
from licenselens.scan.runner import scan_tree


def by_path(result):
    return {f.path: f for f in result.files}


def test_glob_semantics():
    assert reuse_glob("data/*.csv").match("data/a.csv")
    assert not reuse_glob("data/*.csv").match("data/sub/a.csv")
    assert reuse_glob("data/**").match("data/sub/a.csv")
    assert reuse_glob("a\\*b").match("a*b") and not reuse_glob("a\\*b").match("axb")


def test_sidecar_and_reuse_toml(tmp_path):
    (tmp_path / "img.bin").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    (tmp_path / "img.bin.license").write_text("SPDX-FileCopyrightText: 2024 Ann\nSPDX-License-Identifier: CC0-1.0\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "data" / "tagged.txt").write_text("SPDX-License-Identifier: MIT\n")
    (tmp_path / "data" / "both.txt").write_text("SPDX-License-Identifier: MIT\n")
    (tmp_path / "REUSE.toml").write_text(
        'version = 1\n[[annotations]]\npath = "data/**"\nSPDX-License-Identifier = "CC-BY-4.0"\n'
        'SPDX-FileCopyrightText = "2024 Data People"\n'
        '[[annotations]]\npath = "data/both.txt"\nprecedence = "aggregate"\nSPDX-License-Identifier = "CC-BY-4.0"\n'
    )
    result, _ = scan_tree([str(tmp_path)], ScanOptions(jobs=1, use_cache=False))
    files = by_path(result)
    assert files["img.bin"].file_type == "binary"
    assert files["img.bin"].license_expression_spdx == "CC0-1.0"
    assert [c.value for c in files["img.bin"].copyrights] == ["2024 Ann"]
    assert files["data/a.csv"].license_expression_spdx == "CC-BY-4.0"
    assert files["data/a.csv"].detections[0].detector == "reuse"
    # "closest": the file's own tag wins; "aggregate": both apply
    assert files["data/tagged.txt"].license_expression_spdx == "MIT"
    assert files["data/both.txt"].license_expression_spdx == "CC-BY-4.0 AND MIT"


def test_invalid_reuse_toml_is_an_error_on_that_file(tmp_path):
    (tmp_path / "REUSE.toml").write_text(
        "version = 1\n[[annotations]]\npath = 'x'\nSPDX-License-Identifier = 'Not-A-Licence'\n"
    )
    (tmp_path / "x").write_text("hello\n")
    result, _ = scan_tree([str(tmp_path)], ScanOptions(jobs=1, use_cache=False))
    files = by_path(result)
    assert [e.code for e in files["REUSE.toml"].errors] == ["invalid-reuse-toml"]
    assert files["x"].errors == ()


def test_nested_reuse_toml_closest_and_override(tmp_path):
    def toml(folder, path, licence, precedence="closest"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "REUSE.toml").write_text(
            f'version = 1\n[[annotations]]\npath = "{path}"\nprecedence = "{precedence}"\n'
            f'SPDX-License-Identifier = "{licence}"\n'
        )

    toml(tmp_path, "**", "MIT")
    toml(tmp_path / "sub", "**", "GPL-3.0-only")
    toml(tmp_path / "o", "*.c", "Apache-2.0", "override")
    (tmp_path / "sub" / "x.txt").write_text("x\n")
    (tmp_path / "top.txt").write_text("t\n")
    (tmp_path / "o" / "f.c").write_text("// SPDX-License-Identifier: GPL-2.0-only\nint f;\n")
    (tmp_path / "tagged.txt").write_text("SPDX-License-Identifier: BSD-3-Clause\n")
    (tmp_path / "pic.txt").write_text("SPDX-License-Identifier: BSD-3-Clause\n")
    (tmp_path / "pic.txt.license").write_text("SPDX-License-Identifier: CC0-1.0\n")
    result, _ = scan_tree([str(tmp_path)], ScanOptions(jobs=1, use_cache=False))
    files = {f.path: f.license_expression_spdx for f in result.files}
    by = {f.path: f for f in result.files}
    assert files["sub/x.txt"] == "GPL-3.0-only"  # the closest REUSE.toml decides
    assert files["top.txt"] == "MIT"
    # override replaces the file's own REUSE tag; ScanCode's reading of the text is still reported
    assert [(d.detector, d.license_expression_spdx) for d in by["o/f.c"].detections] == [
        ("licensedcode", "GPL-2.0-only"),
        ("reuse", "Apache-2.0"),
    ]
    assert files["tagged.txt"] == "BSD-3-Clause"  # closest: the file's own tag stands
    assert {(d.detector, d.license_expression_spdx) for d in by["pic.txt"].detections} == {
        ("licensedcode", "BSD-3-Clause"),
        ("reuse", "CC0-1.0"),
    }  # a sidecar replaces the file's tags
