"""bom.cdx.json: a CycloneDX 1.6 BOM of the model and its source-tree datasets, written with cyclonedx-python-lib.

The model is the BOM's subject; each source tree is a component it depends on, with its files as
sub-components. Detected licences and copyrights go to ``evidence``: they were found,
not concluded; ``licenses`` holds only what the manifest declares.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import IO, Any
from uuid import NAMESPACE_URL, uuid5

from cyclonedx.model import Copyright, HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.component_evidence import ComponentEvidence
from cyclonedx.model.license import DisjunctiveLicense, LicenseAcknowledgement, LicenseExpression
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from cyclonedx.spdx import is_supported_id

from licenselens.expressions import spdx_licensing
from licenselens.reporters.audit_base import AuditWriter
from licenselens.reporters.spdx_document import parse_spdx, results_digest
from licenselens.stamp import TOOL_NAME
from licenselens.types.audit import AssessedResults

LICENSING = spdx_licensing()


def spdx_expression(text: str | None) -> str | None:
    """The normalised SPDX expression, or None when the text is none."""
    parsed = parse_spdx(text)
    return str(parsed) if parsed is not None else None


def licences_found(expressions) -> list[DisjunctiveLicense]:
    """One licence per distinct identifier: an SPDX id where CycloneDX knows it, else a name."""
    found: set[str] = set()
    for text in expressions:
        normalised = spdx_expression(text)
        if normalised:
            found.update(str(s) for s in LICENSING.license_symbols(normalised, decompose=False))
        elif text:
            found.add(text)  # kept as written: a licence name
    return [
        DisjunctiveLicense(id=s) if is_supported_id(s) else DisjunctiveLicense(name=s)
        for s in sorted(found, key=str.casefold)
    ]


def declared_licences(text: str | None) -> list:
    if not text:
        return []
    normalised = spdx_expression(text)
    if normalised:
        return [LicenseExpression(normalised, acknowledgement=LicenseAcknowledgement.DECLARED)]
    return [DisjunctiveLicense(name=text, acknowledgement=LicenseAcknowledgement.DECLARED)]


def file_component(tree_ref: str, f: dict) -> Component:
    expressions = [f["license_expression_spdx"]] if f["license_expression_spdx"] else []
    normalised = spdx_expression(expressions[0]) if expressions else None
    copyrights = sorted({c["value"] for c in f["copyrights"]})
    evidence = ComponentEvidence(
        # one expression when it parses; otherwise its parts as names (CycloneDX has no free-text expression)
        licenses=[LicenseExpression(normalised)] if normalised else licences_found(expressions),
        copyright=[Copyright(text=c) for c in copyrights],
    )
    return Component(
        name=f["path"],
        type=ComponentType.FILE,
        bom_ref=f"{tree_ref}:file:{f['path']}",
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=f["sha256"])],
        evidence=evidence if copyrights or expressions else None,
    )


def tree_component(tree: Mapping[str, Any]) -> Component:
    ref = f"dataset:{tree['dataset']}:{tree['root']}"  # a dataset of several paths gives several trees
    files = [f for f in tree["scan"]["files"] if f.get("sha256")]
    holders = sorted((tree["scan"].get("summary") or {}).get("holders") or {})
    return Component(
        name=tree["dataset"],
        type=ComponentType.LIBRARY,
        bom_ref=ref,
        description=f"Source tree {tree['root']}",
        licenses=declared_licences(tree.get("declared_license")),
        evidence=ComponentEvidence(
            licenses=licences_found(f["license_expression_spdx"] for f in files),
            copyright=[Copyright(text=h) for h in holders],
        ),
        properties=[Property(name="licenselens:root", value=tree["root"])],
        components=[file_component(ref, f) for f in files],
    )


class CycloneDxBom(AuditWriter):
    filename = "bom.cdx.json"

    def wanted(self, results: AssessedResults) -> bool:
        return bool(results["trees"])

    def render(self, results: AssessedResults, out: IO) -> None:
        tool = results.get("tool") or {}
        model = results.get("model") or {}
        subject = Component(
            name=model.get("name") or "model",
            type=ComponentType.MACHINE_LEARNING_MODEL,
            bom_ref="model",
            description=model.get("description"),
        )
        trees = [tree_component(t) for t in results.get("trees", [])]
        bom = Bom(
            serial_number=uuid5(NAMESPACE_URL, f"https://licenselens.invalid/cdx/{results_digest(results)}"),
            metadata=BomMetaData(
                timestamp=datetime.fromisoformat(results["created"]),
                component=subject,
                tools=ToolRepository(
                    components=[Component(name=TOOL_NAME, version=tool.get("version"), type=ComponentType.APPLICATION)]
                ),
            ),
            components=trees,
        )
        bom.register_dependency(subject, trees)  # the model was trained on these datasets
        for tree in trees:
            bom.register_dependency(tree)
        text = make_outputter(bom, OutputFormat.JSON, SchemaVersion.V1_6).output_as_string()
        # key order fixed too, so equal results give equal bytes
        json.dump(json.loads(text), out, indent=2, sort_keys=True, ensure_ascii=False)
        out.write("\n")
