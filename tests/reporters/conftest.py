"""Audit results built from a real scan of samples/repo, for the audit's output writers."""

from __future__ import annotations

import copy
import io

import pytest

from licenselens.policy.loading import load_policy
from licenselens.scan.options import ScanOptions
from licenselens.scan.runner import scan_tree

from ..conftest import SAMPLES

HOSTILE_HOLDER = "<script>alert(1)</script>"
HOSTILE_PATH = 'evil\nname "quoted" #1 <b>.py'


@pytest.fixture(scope="session")
def _scanned():
    result, _ = scan_tree([str(SAMPLES)], ScanOptions(jobs=1, use_cache=False), None, load_policy("default"))
    return {
        "created": "2026-11-25T06:00:00Z",
        "tool": result.tool,
        "model": {"name": "lens-demo-1b", "description": "A demo model trained on the sample tree."},
        "trees": [
            {"dataset": "code", "root": "samples/repo", "declared_license": "Apache-2.0", "scan": result.to_dict()}
        ],
        "corpus": {
            "datasets": [
                {
                    "name": "web-captions",
                    "kind": "web",
                    "declared_license": "CC-BY-4.0",
                    "licenses": {"CC-BY-4.0": 3, "none": 10},
                    "copyright_holders": {"Jane Doe": 2},
                }
            ]
        },
    }


@pytest.fixture()
def results(_scanned):
    """A fresh copy per test: tests may change it."""
    return copy.deepcopy(_scanned)


@pytest.fixture()
def hostile_results(results):
    """The real results plus a file, a finding and a dataset with strings meant to break formats."""
    scan_dict = results["trees"][0]["scan"]
    licence_file = next(f for f in scan_dict["files"] if f["path"] == "LICENSE")
    evil = copy.deepcopy(licence_file)
    evil["path"] = HOSTILE_PATH
    evil["license_expression_spdx"] = "MIT AND LicenseRef-acme-internal"
    evil["detections"][0]["license_expression_spdx"] = "MIT AND LicenseRef-acme-internal"
    evil["detections"].append({**evil["detections"][0], "license_expression_spdx": "MIT AND <b>bold</b>"})
    for statement in evil["copyrights"] + evil["holders"]:
        statement["value"] = HOSTILE_HOLDER
    scan_dict["files"].append(evil)
    finding = next(f for f in scan_dict["policy"]["findings"] if f["path"] == "plugins/gpl_plugin.py")
    scan_dict["policy"]["findings"].append(
        {**finding, "path": HOSTILE_PATH, "verdict": "deny", "message": f"{HOSTILE_HOLDER}\n\"quoted\""}
    )
    scan_dict["summary"]["holders"][HOSTILE_HOLDER] = 1
    results["corpus"]["datasets"][0]["copyright_holders"][HOSTILE_HOLDER] = 1
    results["model"]["name"] = 'lens "demo"/1b\n<x>'
    return results


def render(writer, results) -> str:
    out = io.BytesIO() if writer.binary else io.StringIO()
    writer.write(results, out)
    return out.getvalue()
