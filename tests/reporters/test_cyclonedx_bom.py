from __future__ import annotations

import json
import uuid

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from licenselens.reporters.cyclonedx_bom import CycloneDxBom

from .conftest import HOSTILE_HOLDER, HOSTILE_PATH, render


def validation_errors(text: str) -> list[str]:
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text, all_errors=True)
    return [str(e) for e in errors or ()]


def licence_ids(licences) -> set[str]:
    return {entry["license"].get("id") or entry["license"]["name"] for entry in licences}


def test_bom_passes_the_strict_1_6_schema(results):
    text = render(CycloneDxBom(), results)
    assert validation_errors(text) == []
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    assert bom["metadata"]["timestamp"].startswith("2026-11-25T06:00:00")
    assert bom["metadata"]["component"] == {
        "bom-ref": "model",
        "name": "lens-demo-1b",
        "type": "machine-learning-model",
        "description": "A demo model trained on the sample tree.",
    }
    assert bom["metadata"]["tools"]["components"][0]["version"] == results["tool"]["version"]


def test_one_component_per_tree_with_declared_and_found_licences(results):
    bom = json.loads(render(CycloneDxBom(), results))
    (tree,) = bom["components"]
    assert (tree["name"], tree["type"]) == ("code", "library")
    assert tree["licenses"] == [{"acknowledgement": "declared", "expression": "Apache-2.0"}]
    found = licence_ids(tree["evidence"]["licenses"])
    assert {"MIT", "Apache-2.0", "GPL-3.0-or-later", "LicenseRef-scancode-proprietary-license"} <= found
    holders = {c["text"] for c in tree["evidence"]["copyright"]}
    assert {"Example Lens Authors", "The Fastjson Authors", "Acme Corp."} <= holders
    assert {"ref": "model", "dependsOn": ["dataset:code:samples/repo"]} in bom["dependencies"]


def test_two_paths_of_one_dataset_are_two_components(results):
    second = {**results["trees"][0], "root": "samples/other"}
    results["trees"].append(second)
    text = render(CycloneDxBom(), results)
    assert validation_errors(text) == []
    assert sorted(c["bom-ref"] for c in json.loads(text)["components"]) == [
        "dataset:code:samples/other",
        "dataset:code:samples/repo",
    ]


def test_files_are_sub_components_with_hash_and_evidence(results):
    bom = json.loads(render(CycloneDxBom(), results))
    scanned = {f["path"]: f for f in results["trees"][0]["scan"]["files"]}
    files = {c["name"]: c for c in bom["components"][0]["components"]}
    assert set(files) == set(scanned)
    assert all(c["type"] == "file" for c in files.values())
    dual = files["src/lenscore/dual.py"]
    assert dual["hashes"] == [{"alg": "SHA-256", "content": scanned["src/lenscore/dual.py"]["sha256"]}]
    assert dual["evidence"]["licenses"] == [{"expression": "MIT OR Apache-2.0"}]
    assert dual["evidence"]["copyright"] == [{"text": "Copyright (c) 2024 Example Lens Authors"}]
    assert "evidence" not in files["src/lenscore/geometry.py"]


def test_same_results_give_same_bytes_and_serial(results):
    first = render(CycloneDxBom(), results)
    assert render(CycloneDxBom(), results) == first
    serial = json.loads(first)["serialNumber"]
    assert uuid.UUID(serial.removeprefix("urn:uuid:")).version == 5
    results["corpus"]["datasets"][0]["licenses"]["CC-BY-4.0"] = 4
    assert json.loads(render(CycloneDxBom(), results))["serialNumber"] != serial


def test_hostile_strings_stay_valid(hostile_results):
    text = render(CycloneDxBom(), hostile_results)
    assert validation_errors(text) == []
    bom = json.loads(text)
    evil = next(c for c in bom["components"][0]["components"] if c["name"] == HOSTILE_PATH)
    assert evil["evidence"]["copyright"] == [{"text": HOSTILE_HOLDER}]
    assert HOSTILE_HOLDER in {c["text"] for c in bom["components"][0]["evidence"]["copyright"]}
    assert bom["metadata"]["component"]["name"] == hostile_results["model"]["name"]


def test_expression_that_does_not_parse_is_kept_as_a_name(hostile_results):
    evil = next(f for f in hostile_results["trees"][0]["scan"]["files"] if f["path"] == HOSTILE_PATH)
    evil["license_expression_spdx"] = "MIT AND <b>bold</b>"
    text = render(CycloneDxBom(), hostile_results)
    assert validation_errors(text) == []
    component = next(c for c in json.loads(text)["components"][0]["components"] if c["name"] == HOSTILE_PATH)
    assert component["evidence"]["licenses"] == [{"license": {"name": "MIT AND <b>bold</b>"}}]
