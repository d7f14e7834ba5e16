from __future__ import annotations

import hashlib
import json

from spdx_tools.spdx.parser.json import json_parser
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from licenselens.reporters.spdx_document import SpdxDocument

from ..conftest import REPO, SAMPLES
from .conftest import HOSTILE_HOLDER, HOSTILE_PATH, render


def write_and_validate(results, tmp_path, base_dir=REPO):
    target = tmp_path / SpdxDocument.filename
    target.write_text(render(SpdxDocument(base_dir), results), encoding="utf-8")
    document = json_parser.parse_from_file(str(target))
    return json.loads(target.read_text(encoding="utf-8")), validate_full_spdx_document(document)


def files_by_name(doc) -> dict[str, dict]:
    return {f["fileName"]: f for f in doc["files"]}


def test_document_parses_back_and_validates(results, tmp_path):
    doc, messages = write_and_validate(results, tmp_path)
    assert [m.validation_message for m in messages] == []
    assert doc["spdxVersion"] == "SPDX-2.3"
    assert doc["creationInfo"]["created"] == "2026-11-25T06:00:00Z"
    assert doc["creationInfo"]["creators"] == ["Tool: licenselens-0.1.0"]


def test_one_package_per_tree_with_its_files(results, tmp_path):
    doc, _ = write_and_validate(results, tmp_path)
    scanned = results["trees"][0]["scan"]["files"]
    (package,) = doc["packages"]
    assert package["name"] == "code"
    assert package["licenseDeclared"] == "Apache-2.0"
    assert package["licenseConcluded"] == "NOASSERTION"
    assert {"MIT", "Apache-2.0", "GPL-3.0-or-later", "BSD-3-Clause"} <= set(package["licenseInfoFromFiles"])
    assert sorted(f["fileName"] for f in doc["files"]) == sorted(f"./{f['path']}" for f in scanned)

    relations = {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in doc["relationships"]}
    assert ("SPDXRef-DOCUMENT", "DESCRIBES", package["SPDXID"]) in relations
    assert {(package["SPDXID"], "CONTAINS", f["SPDXID"]) for f in doc["files"]} <= relations


def test_files_carry_detections_copyrights_and_both_checksums(results, tmp_path):
    doc, _ = write_and_validate(results, tmp_path)
    files = files_by_name(doc)
    licence = files["./LICENSE"]
    assert licence["licenseInfoInFiles"] == ["MIT"]
    assert licence["copyrightText"] == "Copyright (c) 2024 Example Lens Authors"
    content = (SAMPLES / "LICENSE").read_bytes()
    assert {c["algorithm"]: c["checksumValue"] for c in licence["checksums"]} == {
        "SHA1": hashlib.sha1(content).hexdigest(),
        "SHA256": hashlib.sha256(content).hexdigest(),
    }
    assert files["./src/lenscore/dual.py"]["licenseInfoInFiles"] == ["Apache-2.0", "MIT"]
    assert files["./plugins/gpl_plugin.py"]["licenseInfoInFiles"] == ["GPL-3.0-or-later"]
    geometry = files["./src/lenscore/geometry.py"]
    assert geometry["licenseInfoInFiles"] == ["NONE"] and geometry["copyrightText"] == "NOASSERTION"
    assert files["./assets/logo.png"]["fileTypes"] == ["BINARY"]


def test_every_licence_ref_is_declared(results, tmp_path):
    # spdx-tools accepts ScanCode's LicenseRef- ids undeclared; the SPDX spec does not
    doc, _ = write_and_validate(results, tmp_path)
    used = {ref for f in doc["files"] for ref in f["licenseInfoInFiles"] if ref.startswith("LicenseRef-")}
    assert "LicenseRef-scancode-proprietary-license" in used
    declared = {info["licenseId"]: info for info in doc["hasExtractedLicensingInfos"]}
    assert used == set(declared)
    assert "proprietary license agreement" in declared["LicenseRef-scancode-proprietary-license"]["extractedText"]


def test_same_results_give_same_bytes(results):
    first = render(SpdxDocument(REPO), results)
    assert render(SpdxDocument(REPO), results) == first
    namespace = json.loads(first)["documentNamespace"]
    assert namespace.startswith("https://licenselens.invalid/spdx/lens-demo-1b-")
    results["trees"][0]["declared_license"] = "MIT"
    assert json.loads(render(SpdxDocument(REPO), results))["documentNamespace"] != namespace


def test_files_not_found_unchanged_lack_sha1_and_say_so(results, tmp_path):
    doc, messages = write_and_validate(results, tmp_path, base_dir=tmp_path)
    assert all("SHA1" not in str(c) for f in doc["files"] for c in f["checksums"])
    assert doc["comment"].startswith(f"{len(doc['files'])} files lack the SHA1 checksum")
    assert messages and all("must contain a SHA1" in m.validation_message for m in messages)


def test_hostile_strings_stay_valid(hostile_results, tmp_path):
    doc, messages = write_and_validate(hostile_results, tmp_path)
    evil = files_by_name(doc)[f"./{HOSTILE_PATH}"]
    assert evil["copyrightText"] == HOSTILE_HOLDER
    # the parseable expression is kept, the other one is stated as unknown with a comment
    assert evil["licenseInfoInFiles"] == ["LicenseRef-acme-internal", "MIT", "NOASSERTION"]
    assert "MIT AND <b>bold</b>" in evil["licenseComments"]
    assert "LicenseRef-acme-internal" in {i["licenseId"] for i in doc["hasExtractedLicensingInfos"]}
    # the made-up file is not on disk, so it alone lacks a SHA1
    assert [m.context.spdx_id for m in messages] == [evil["SPDXID"]]
    assert "must contain a SHA1" in messages[0].validation_message


def test_unread_files_are_left_out_and_counted(results, tmp_path):
    unread = next(f for f in results["trees"][0]["scan"]["files"] if f["path"] == "README.md")
    unread.update(sha256=None, file_type="error", detections=[], copyrights=[])
    doc, messages = write_and_validate(results, tmp_path)
    assert messages == []
    assert "./README.md" not in files_by_name(doc)
    assert doc["comment"] == "1 files of code could not be read and are not listed."
