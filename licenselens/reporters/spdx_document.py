"""summary.spdx.json: an SPDX 2.3 document of the audited source trees, written with spdx-tools.

One package per source-tree dataset, one file element per scanned file, licences as detected
(concluded licences are left to a human: NOASSERTION).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from license_expression import ExpressionError, LicenseExpression
from spdx_tools.spdx.model import (
    Actor,
    ActorType,
    Checksum,
    ChecksumAlgorithm,
    CreationInfo,
    Document,
    ExtractedLicensingInfo,
    File,
    FileType,
    Package,
    PackagePurpose,
    Relationship,
    RelationshipType,
    SpdxNoAssertion,
    SpdxNone,
)
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

from licenselens.expressions import spdx_licensing
from licenselens.reporters.audit_base import AuditWriter
from licenselens.scancode.licensedb import licence_text, license_db
from licenselens.types.audit import AssessedResults

LICENSING = spdx_licensing()
LICENSE_REF = re.compile(r"LicenseRef-[A-Za-z0-9.-]+")
FILE_TYPES = {"text": FileType.TEXT, "binary": FileType.BINARY}


def results_digest(results: Mapping[str, Any]) -> str:
    """A hash of what the audit found, for identifiers that stay equal when the results do."""
    content = {k: results.get(k) for k in ("created", "model", "trees", "corpus")}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def spdx_id_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-") or "x"


def sha1_if_unchanged(location: Path, sha256: str) -> str | None:
    """SPDX 2.3 requires a SHA1 per file but scans record SHA256: hash the file if it is still the same."""
    sha1, sha2 = hashlib.sha1(), hashlib.sha256()
    try:
        with open(location, "rb") as fh:
            while chunk := fh.read(1 << 20):
                sha1.update(chunk)
                sha2.update(chunk)
    except OSError:
        return None
    return sha1.hexdigest() if sha2.hexdigest() == sha256 else None


def parse_spdx(text: str | None):
    """The parsed SPDX expression (strict syntax), or None when the text is none or not one."""
    if not text:
        return None
    try:
        return LICENSING.parse(text, validate=False, strict=True)
    except ExpressionError:
        return None


class Licences:
    """SPDX expressions as spdx-tools objects; remembers the LicenseRef- ids to declare."""

    def __init__(self):
        self.refs: set[str] = set()

    def expression(self, text: str | None) -> LicenseExpression | None:
        """None when the text is no SPDX expression the document can state (it goes to a comment)."""
        parsed = parse_spdx(text)
        if parsed is None:
            return None
        keys = set(LICENSING.license_keys(parsed))
        # license-expression accepts ScanCode's LicenseRef- ids, but SPDX wants every LicenseRef- declared
        refs = {k for k in keys if k.startswith("LicenseRef-")}
        unlisted = set(LICENSING.validate(str(parsed)).invalid_symbols) - refs
        if unlisted or any(not LICENSE_REF.fullmatch(k) for k in refs):
            return None  # e.g. DocumentRef- references this document cannot resolve
        self.refs |= refs
        return parsed

    def symbols(self, texts) -> list[LicenseExpression]:
        """The distinct licences (with their exceptions) of several expressions, sorted."""
        found = {}
        for text in texts:
            parsed = self.expression(text)
            for symbol in LICENSING.license_symbols(parsed, decompose=False) if parsed is not None else ():
                found[str(symbol)] = LICENSING.parse(str(symbol), validate=False)
        return [found[k] for k in sorted(found, key=str.casefold)]

    def extracted_infos(self) -> list[ExtractedLicensingInfo]:
        infos = []
        for ref in sorted(self.refs):
            key = license_db().key_for_spdx(ref)
            info = license_db().by_key.get(key) if key else None
            name = info.name if info else ref
            text = licence_text(ref) or f"{name}: licenselens found this licence reference; no licence text is known."
            infos.append(
                ExtractedLicensingInfo(
                    license_id=ref,
                    extracted_text=text,
                    license_name=name,
                    cross_references=[f"https://scancode-licensedb.aboutcode.org/{key}"] if info else [],
                    comment=f"ScanCode licence key {key}" if info else None,
                )
            )
        return infos


class SpdxDocument(AuditWriter):
    filename = "summary.spdx.json"

    def wanted(self, results: AssessedResults) -> bool:
        return bool(results["trees"])

    def __init__(self, base_dir: str | Path = "."):
        self.base_dir = Path(base_dir)  # where tree roots are, to hash files for SHA1

    def render(self, results: AssessedResults, out: IO) -> None:
        digest = results_digest(results)
        model = (results.get("model") or {}).get("name") or "model"
        tool = results.get("tool") or {}
        licences = Licences()
        packages, files, relationships, gaps = [], [], [], []
        for n, tree in enumerate(results.get("trees", []), start=1):
            package = self._package(n, tree, licences)
            packages.append(package)
            relationships.append(Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, package.spdx_id))
            unread = [f for f in tree["scan"]["files"] if not f.get("sha256")]
            if unread:  # no checksum, no SPDX file element
                gaps.append(f"{len(unread)} files of {tree['dataset']} could not be read and are not listed.")
            for m, f in enumerate((f for f in tree["scan"]["files"] if f.get("sha256")), start=1):
                element = self._file(f"SPDXRef-File-{n}-{m}", tree["root"], f, licences)
                files.append(element)
                relationships.append(Relationship(package.spdx_id, RelationshipType.CONTAINS, element.spdx_id))
        without_sha1 = sum(ChecksumAlgorithm.SHA1 not in [c.algorithm for c in f.checksums] for f in files)
        if without_sha1:
            gaps.append(
                f"{without_sha1} files lack the SHA1 checksum SPDX 2.3 requires: they were not found "
                "unchanged when this document was written."
            )
        creation = CreationInfo(
            spdx_version="SPDX-2.3",
            spdx_id="SPDXRef-DOCUMENT",
            name=f"licenselens audit of {model}",
            document_namespace=f"https://licenselens.invalid/spdx/{quote(model, safe='')}-{digest}",
            creators=[Actor(ActorType.TOOL, f"licenselens-{tool.get('version', '')}")],
            created=datetime.fromisoformat(results["created"]),
            creator_comment="Licences and copyrights as detected; concluded licences are left to a reviewer.",
            document_comment=" ".join(gaps) or None,
        )
        document = Document(
            creation,
            packages=packages,
            files=files,
            relationships=relationships,
            extracted_licensing_info=licences.extracted_infos(),
        )
        # validated by the tests; an audit must still write what it has (e.g. files lacking SHA1)
        write_document_to_stream(document, out, validate=False)
        out.write("\n")

    def _package(self, n: int, tree: Mapping[str, Any], licences: Licences) -> Package:
        declared = tree.get("declared_license")
        parsed = licences.expression(declared)
        detected = [f["license_expression_spdx"] for f in tree["scan"]["files"] if f["license_expression_spdx"]]
        return Package(
            spdx_id=f"SPDXRef-Package-{n}-{spdx_id_part(tree['dataset'])}",
            name=tree["dataset"],
            download_location=SpdxNoAssertion(),
            files_analyzed=True,
            license_concluded=SpdxNoAssertion(),
            license_declared=parsed if parsed is not None else SpdxNoAssertion(),
            license_comment=f"Declared licence, not an SPDX expression: {declared}"
            if declared and parsed is None
            else None,
            license_info_from_files=licences.symbols(detected) or [SpdxNone()],
            copyright_text=SpdxNoAssertion(),
            primary_package_purpose=PackagePurpose.SOURCE,
            comment=f"Source tree {tree['root']}",
        )

    def _file(self, spdx_id: str, root: str, f: dict, licences: Licences) -> File:
        checksums = [Checksum(ChecksumAlgorithm.SHA256, f["sha256"])]
        sha1 = sha1_if_unchanged(self.base_dir / root / f["path"], f["sha256"])
        if sha1:
            checksums.insert(0, Checksum(ChecksumAlgorithm.SHA1, sha1))
        expressions = [d["license_expression_spdx"] for d in f["detections"]]
        unstated = [e for e in expressions if licences.expression(e) is None]
        found = licences.symbols(expressions)
        if unstated:
            found.append(SpdxNoAssertion())
        elif not found:
            found = [SpdxNone() if f["file_type"] == "text" and not f["errors"] else SpdxNoAssertion()]
        copyrights = sorted({c["value"] for c in f["copyrights"]})
        return File(
            name=f"./{f['path']}",
            spdx_id=spdx_id,
            checksums=checksums,
            file_types=[FILE_TYPES[f["file_type"]]] if f["file_type"] in FILE_TYPES else [],
            license_concluded=SpdxNoAssertion(),
            license_info_in_file=found,
            license_comment=f"Not SPDX expressions: {'; '.join(unstated)}" if unstated else None,
            copyright_text="\n".join(copyrights) if copyrights else SpdxNoAssertion(),
        )
