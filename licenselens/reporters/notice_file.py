"""NOTICE.txt: the attributions the licences of the audited data require, grouped by licence.

Which licences need one is data (rules/notice.yaml); licence texts come from ScanCode's licence DB.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import textwrap
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from license_expression import ExpressionError

from licenselens.expressions import spdx_licensing
from licenselens.reporters.audit_base import AuditWriter
from licenselens.rules import load_yaml
from licenselens.scancode.licensedb import licence_text, license_db
from licenselens.types.audit import AssessedResults

WIDTH = 79
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def licence_ids(expression: str | None) -> list[str]:
    """The licence identifiers of an SPDX expression (exceptions left out); [] when it does not parse."""
    if not expression or expression == "none":
        return []
    licensing = spdx_licensing()
    try:
        parsed = licensing.parse(expression, validate=False)
    except ExpressionError:
        return []
    return [s.key for s in licensing.license_symbols(parsed) if not s.is_exception] if parsed is not None else []


def printable(text: str) -> str:
    """One line of text: control characters (newlines in file names...) are shown escaped."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass
class Attribution:
    statements: set[str] = field(default_factory=set)
    files: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # source -> its files
    notes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # source -> how else it applies
    documents: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # source -> documents under it

    def notes_of(self, source: str) -> str:
        found = [f"found in {self.documents[source]:,} documents"] if self.documents.get(source) else []
        return "; ".join(sorted(self.notes[source]) + found)

    def shown_statements(self) -> list[str]:
        """Statements without the bare holder names that a fuller statement already gives."""
        return sorted(s for s in self.statements if not any(s != t and s in t for t in self.statements))


def needs_notice(spdx_id: str, rules: dict) -> bool:
    def listed(patterns) -> bool:
        return any(fnmatch.fnmatch(spdx_id.lower(), p.lower()) for p in patterns or ())

    if listed(rules.get("exclude")):
        return False
    if listed(rules.get("include")):
        return True
    key = license_db().key_for_spdx(spdx_id)
    return key is not None and license_db().category_of_key(key) in rules.get("categories", ())


def collect(results: Mapping[str, Any], rules: dict) -> dict[str, Attribution]:
    found: dict[str, Attribution] = defaultdict(Attribution)

    def add(expression, source, statements, path=None, note=None, documents=0):
        for spdx_id in set(licence_ids(expression)):
            if needs_notice(spdx_id, rules):
                entry = found[spdx_id]
                entry.statements.update(statements)
                entry.files[source].update([path] if path is not None else [])
                entry.notes[source].update([note] if note else [])
                entry.documents[source] += documents

    declared = "declared licence of the dataset"
    for tree in results.get("trees", []):
        source = f"{tree['dataset']} ({tree['root']})"
        add(tree.get("declared_license"), source, (), note=declared)
        for f in tree["scan"]["files"]:
            statements = [s["value"] for s in f["copyrights"]] or [s["value"] for s in f["holders"]]
            add(f["license_expression_spdx"], source, statements, path=f["path"])
    for dataset in results.get("corpus", {}).get("datasets", []):
        if dataset.get("format") == "tree":  # listed file by file above
            continue
        source, holders = f"dataset {dataset['name']}", dataset.get("copyright_holders") or {}
        add(dataset.get("declared_license"), source, holders, note=declared)
        for expression, documents in (dataset.get("licenses") or {}).items():
            add(expression, source, holders, documents=documents)
    return found


def notice_files(results: Mapping[str, Any], patterns) -> dict[str, set[str]]:
    """Source -> its files named like NOTICE, whose contents travel with the work."""
    found: dict[str, set[str]] = {}
    for tree in results.get("trees", []):
        paths = {
            f["path"]
            for f in tree["scan"]["files"]
            if any(fnmatch.fnmatch(posixpath.basename(f["path"]).lower(), p.lower()) for p in patterns)
        }
        if paths:
            found[f"{tree['dataset']} ({tree['root']})"] = paths
    return found


def compact(paths: set[str]) -> list[str]:
    """Files grouped by folder: 'src/lenscore/: __init__.py, dual.py'."""
    by_folder: dict[str, list[str]] = defaultdict(list)
    for path in sorted(paths):
        folder, name = posixpath.split(path)
        by_folder[folder].append(name)
    return [(f"{folder}/: " if folder else "") + ", ".join(names) for folder, names in sorted(by_folder.items())]


def wrapped(text: str, indent: str) -> list[str]:
    return textwrap.wrap(
        printable(text),
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent]


class NoticeFile(AuditWriter):
    filename = "NOTICE.txt"

    def __init__(self, rules: dict | None = None):
        self.rules = rules if rules is not None else load_yaml("notice.yaml")

    def render(self, results: AssessedResults, out: IO) -> None:
        found = collect(results, self.rules)
        model = printable((results.get("model") or {}).get("name") or "the audited model")
        version = (results.get("tool") or {}).get("version", "")
        lines = [
            f"NOTICE: {model}",
            "",
            *textwrap.wrap(
                "Copyright and licence notices that the licences of the training data require to "
                "be kept, grouped by licence, each followed by the licence text. Compiled by "
                f"licenselens {version} from the audit's scan results; review before use.",
                WIDTH,
            ),
        ]
        if not found:
            lines += ["", "No licence found in the audited data requires a notice."]
        for spdx_id in sorted(found, key=str.casefold):
            entry = found[spdx_id]
            key = license_db().key_for_spdx(spdx_id)
            info = license_db().by_key.get(key) if key else None
            heading = printable(spdx_id) + (f" - {info.name}" if info and info.name != spdx_id else "")
            lines += ["", "=" * WIDTH, heading, "=" * WIDTH, ""]
            if entry.statements:
                lines.append("Copyright notices:")
                for statement in entry.shown_statements():
                    lines += wrapped(statement, "  ")
                lines.append("")
            lines.append("Applies to:")
            for source in sorted(entry.files, key=lambda s: (s.startswith("dataset "), s)):
                notes = entry.notes_of(source)
                lines += wrapped(f"{source}: {notes}" if notes else f"{source}:", "  ")
                for group in compact(entry.files[source]):
                    lines += wrapped(group, "    ")
            # an unidentified licence's DB entry describes the category, it is no licence text
            text = None if key is None or license_db().is_unknown(key) else licence_text(spdx_id)
            lines += [
                "",
                "Licence text:",
                "",
                text if text else "(not identified by ScanCode: keep the licence text found with the files)",
            ]
        notices = notice_files(results, self.rules.get("notice_files", ()))
        if notices:
            lines += [
                "",
                "=" * WIDTH,
                "Notice files",
                "=" * WIDTH,
                "",
                *textwrap.wrap(
                    "These files carry notices that must be passed on with the work they belong "
                    "to (Apache-2.0 section 4(d)); add their contents here:",
                    WIDTH,
                ),
            ]
            for source in sorted(notices):
                lines += wrapped(f"{source}:", "  ")
                for group in compact(notices[source]):
                    lines += wrapped(group, "    ")
        out.write("\n".join(lines) + "\n")
