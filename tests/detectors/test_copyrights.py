from __future__ import annotations

from licenselens.scan.analyse import analyse_file

from ..conftest import SITE_PACKAGES


def test_real_licence_file_copyright_and_holder():
    licence = next(SITE_PACKAGES.glob("rich-*.dist-info/licenses/LICENSE"))
    findings = analyse_file(str(licence), "LICENSE", 60, ("copyright",))
    kinds = {(s.kind, s.value) for s in findings.statements}
    assert ("holder", "Will McGugan") in kinds
    assert any(k == "copyright" and "2020 Will McGugan" in v for k, v in kinds)
    assert all(s.detector == "copyright" and s.start_line >= 1 for s in findings.statements)


def test_author_lines(tmp_path):
    f = tmp_path / "mod.py"
    f.write_text("# Copyright (c) 2019-2021 Jane Roe and contributors\n# Author: Max Mustermann\nx = 1\n")
    findings = analyse_file(str(f), "mod.py", 60, ("copyright",))
    values = {(s.kind, s.value) for s in findings.statements}
    assert ("holder", "Jane Roe and contributors") in values
    assert ("author", "Max Mustermann") in values


def test_chinese_holders_of_source_files_are_kept_in_their_own_script(tmp_path):
    """As in corpus documents (tests/signals/test_regions.py): ScanCode says "(c) 2024 Hua Xin Ke"."""
    f = tmp_path / "main.py"
    f.write_text(
        "# 版权所有 © 2024 华信科技有限公司\n# Copyright (c) 2023 Jane Roe\nprint(1)\n",
        encoding="utf-8",
    )
    findings = analyse_file(str(f), "main.py", 60, ("copyright",))
    values = {(s.kind, s.value, s.start_line) for s in findings.statements}
    assert ("holder", "华信科技有限公司", 1) in values
    assert ("copyright", "版权所有 © 2024 华信科技有限公司", 1) in values
    assert ("holder", "Jane Roe", 2) in values  # a line without Chinese stays as ScanCode reports it
