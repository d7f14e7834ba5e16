from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from licenselens.cli import main

from ..conftest import SAMPLES

GPL_HEADER = (SAMPLES / "plugins" / "gpl_plugin.py").read_text()


@pytest.fixture()
def project(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\n\n[tool.licenselens]\npolicy = "permissive-only"\nexclude = ["vendor/"]\n'
    )
    (tmp_path / "ok.py").write_text("# SPDX-License-Identifier: MIT\nx = 1\n")
    (tmp_path / "gpl.py").write_text(GPL_HEADER)
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "gpl_too.py").write_text(GPL_HEADER)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(*args):
    return CliRunner().invoke(main, ["check", "--jobs", "1", *args], catch_exceptions=False)


def test_denied_file_fails_and_config_is_used(project):
    res = check()
    assert res.exit_code == 1
    assert "gpl.py:4: DENY [copyleft] GPL-3.0-or-later" in res.output
    assert "vendor/" not in res.output  # excluded by the project config
    assert check("ok.py").exit_code == 0


def test_baseline_accepts_known_findings_only(project):
    assert check("--write-baseline", "baseline.json").exit_code == 0
    assert json.loads((project / "baseline.json").read_text())["findings"][0]["path"] == "gpl.py"
    res = check("--baseline", "baseline.json")
    assert res.exit_code == 0 and "(baseline)" in res.output
    (project / "gpl2.py").write_text(GPL_HEADER)
    res = check("--baseline", "baseline.json")
    assert res.exit_code == 1 and "gpl2.py" in res.output


def test_inline_pragma(project):
    (project / "gpl.py").write_text(
        "# licenselens: ignore\n" + GPL_HEADER.replace("\n", "  # licenselens: ignore\n", 3)
    )
    res = check("gpl.py")
    assert res.exit_code == 0, res.output
    assert "(ignored)" in res.output


def test_sarif_and_json(project):
    res = check("--format", "sarif", "-o", "out.sarif")
    assert res.exit_code == 1
    sarif = json.loads((project / "out.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    result = sarif["runs"][0]["results"][0]
    assert result["ruleId"] == "copyleft" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "gpl.py"
    (project / "out.sarif").unlink()  # a report left in the tree is scanned like any file
    doc = json.loads(check("--format", "json").output)
    assert doc["policy"] == "permissive-only" and doc["failing"] == 1


def test_bad_config_is_a_usage_error(project):
    (project / "licenselens.toml").write_text('policy = 3\n')
    res = check()
    assert res.exit_code == 2 and "policy must be str" in res.output
    (project / "licenselens.toml").write_text('polcy = "default"\n')
    assert "unknown key 'polcy'" in check().output


def test_scan_with_policy_adds_verdicts(project, tmp_path):
    res = CliRunner().invoke(
        main, ["scan", ".", "--policy", "default", "--format", "json", "-o", "r.json", "--jobs", "1"]
    )
    assert res.exit_code == 0
    doc = json.loads((project / "r.json").read_text())
    verdicts = {(f["path"], f["verdict"]) for f in doc["policy"]["findings"]}
    assert ("gpl.py", "review") in verdicts and ("ok.py", "allow") in verdicts
