"""findings.sarif. No SARIF 2.1.0 JSON schema ships with an installed package, so the structure
that SARIF consumers (GitHub code scanning) require is checked explicitly."""

from __future__ import annotations

import copy
import io
import json
import re

from licenselens.reporters.audit_sarif import AuditSarif
from licenselens.reporters.check_reporters import SarifReporter
from licenselens.types.policy import PolicyFinding, PolicyReport
from licenselens.types.scan import ScanResult

from .conftest import HOSTILE_HOLDER, render

# RFC 3986 characters of a relative reference (unreserved, reserved and percent-escapes)
URI_REFERENCE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def check_structure(sarif: dict) -> None:
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "licenselens" and driver["version"]
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids)) and all(r["shortDescription"]["text"] for r in driver["rules"])
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        assert result["level"] in {"error", "warning", "note", "none"}
        assert isinstance(result["message"]["text"], str) and result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert URI_REFERENCE.fullmatch(location["artifactLocation"]["uri"])
        if "region" in location:
            assert 1 <= location["region"]["startLine"] <= location["region"]["endLine"]
        assert result["partialFingerprints"]["licenselens/v1"]


def test_findings_of_the_tree_with_repository_paths(results):
    sarif = json.loads(render(AuditSarif(), results))
    check_structure(sarif)
    findings = results["trees"][0]["scan"]["policy"]["findings"]
    run = sarif["runs"][0]
    assert len(run["results"]) == sum(f["verdict"] != "allow" for f in findings)
    locations = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in run["results"]}
    gpl = locations["samples/repo/plugins/gpl_plugin.py"]
    assert gpl["ruleId"] == "copyleft" and gpl["level"] == "warning"
    assert gpl["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "endLine": 15}


def test_same_output_as_check_for_a_tree_at_the_repository_root(results):
    # the audit shares check's SARIF code: only the URIs' root prefix differs
    results["trees"][0]["root"] = "."
    tree = results["trees"][0]["scan"]
    report = PolicyReport(tree["policy"]["policy"], tuple(PolicyFinding(**f) for f in tree["policy"]["findings"]))
    check = io.StringIO()
    SarifReporter().write(ScanResult(tool=results["tool"], roots=(), files=(), summary=None, policy=report), check)
    assert render(AuditSarif(), results) == check.getvalue()


def test_all_trees_share_one_run(results):
    second = copy.deepcopy(results["trees"][0])
    second.update(dataset="code-copy", root="third_party/lens")
    results["trees"].append(second)
    sarif = json.loads(render(AuditSarif(), results))
    check_structure(sarif)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]]
    assert "samples/repo/plugins/gpl_plugin.py" in uris and "third_party/lens/plugins/gpl_plugin.py" in uris
    assert len(uris) == 2 * sum(u.startswith("samples/repo/") for u in uris)


def test_deterministic(results):
    assert render(AuditSarif(), results) == render(AuditSarif(), results)


def test_hostile_strings_stay_valid(hostile_results):
    sarif = json.loads(render(AuditSarif(), hostile_results))
    check_structure(sarif)
    evil = next(r for r in sarif["runs"][0]["results"] if r["level"] == "error")
    assert evil["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "samples/repo/evil%0Aname%20%22quoted%22%20%231%20%3Cb%3E.py"
    )
    assert HOSTILE_HOLDER in evil["message"]["text"]
