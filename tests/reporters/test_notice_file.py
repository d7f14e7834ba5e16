from __future__ import annotations

from licenselens.reporters.notice_file import WIDTH, NoticeFile
from licenselens.rules import load_yaml

from ..conftest import scancode_licence_text, strip_front_matter
from .conftest import HOSTILE_HOLDER, render

RULE = "=" * WIDTH


def sections(text: str) -> dict[str, str]:
    """Heading (first word: the SPDX id, or 'Notice') -> the section's text up to the next heading."""
    lines = text.split("\n")
    starts = [i for i in range(1, len(lines) - 1) if lines[i - 1] == RULE and lines[i + 1] == RULE]
    ends = [s - 1 for s in starts[1:]] + [len(lines)]
    return {lines[s].split()[0]: "\n".join(lines[s + 2 : e]) for s, e in zip(starts, ends)}


def applies_to(section: str) -> str:
    return section.split("Applies to:")[1].split("Licence text:")[0]


def scancode_text(key: str) -> str:
    return strip_front_matter(scancode_licence_text(key).read_text(encoding="utf-8")).strip()


def test_full_texts_once_each(results):
    text = render(NoticeFile(), results)
    assert text.count(scancode_text("mit")) == 1
    assert text.count(scancode_text("apache-2.0")) == 1
    parts = sections(text)
    assert scancode_text("mit") in parts["MIT"]
    assert scancode_text("apache-2.0") in parts["Apache-2.0"]


def test_holders_and_files_of_each_licence(results):
    parts = sections(render(NoticeFile(), results))
    assert "Copyright (c) 2024 Example Lens Authors" in parts["MIT"]
    assert "src/lenscore/: __init__.py, dual.py" in applies_to(parts["MIT"])
    apache = parts["Apache-2.0"]
    assert "Copyright 2019 The Fastjson Authors" in apache
    assert "vendor/fastjson/: LICENSE, fastjson.c, package.json" in applies_to(apache)
    assert "code (samples/repo): declared licence of the dataset" in applies_to(apache)
    assert "Copyright (c) 2018, Legacy Optics Contributors" in parts["BSD-3-Clause"]
    cc_by = parts["CC-BY-4.0"]
    assert "Jane Doe" in cc_by
    assert "dataset web-captions: declared licence of the dataset; found in 3 documents" in cc_by
    assert "data/: cities.csv" in applies_to(cc_by)


def test_licences_without_attribution_duty_are_left_out(results):
    parts = sections(render(NoticeFile(), results))
    assert "CC0-1.0" not in parts  # Public Domain
    assert "LicenseRef-scancode-proprietary-license" not in parts  # Commercial
    assert all("secret_sauce.py" not in p and "logo.png" not in p for p in parts.values())
    # a licence the rules exclude although its category needs notices
    next(f for f in results["trees"][0]["scan"]["files"] if f["path"] == "scripts/legacy_bsd.sh")[
        "license_expression_spdx"
    ] = "0BSD"
    assert "0BSD" in load_yaml("notice.yaml")["exclude"]
    text = render(NoticeFile(), results)
    assert "0BSD" not in sections(text) and "legacy_bsd.sh" not in text


def test_copyleft_files_follow_the_rules(results):
    shipped = load_yaml("notice.yaml")
    assert "Copyleft" in shipped["categories"]  # GPL asks to keep copyright notices too
    gpl = sections(render(NoticeFile(), results))["GPL-3.0-or-later"]
    assert "plugins/: gpl_plugin.py" in applies_to(gpl) and "Copyright (c) 2023 Jane" in gpl
    permissive_only = {**shipped, "categories": ["Permissive"]}
    text = render(NoticeFile(permissive_only), results)
    assert "gpl_plugin.py" not in text
    assert not any(spdx_id.startswith("GPL") for spdx_id in sections(text))


def test_notice_files_of_the_trees_are_pointed_to(results):
    notices = sections(render(NoticeFile(), results))["Notice"]
    assert "code (samples/repo):\n    vendor/fastjson/: NOTICE" in notices


def test_deterministic_and_without_timestamp(results):
    text = render(NoticeFile(), results)
    assert render(NoticeFile(), results) == text
    assert results["created"][:10] not in text
    assert text.startswith("NOTICE: lens-demo-1b\n")


def test_hostile_strings_cannot_forge_lines(hostile_results):
    text = render(NoticeFile(), hostile_results)
    assert "evil\\x0aname" in text
    assert not any(line.startswith("name ") for line in text.split("\n"))  # the newline did not split the path
    assert HOSTILE_HOLDER in sections(text)["MIT"]
    assert text.startswith('NOTICE: lens "demo"/1b\\x0a<x>\n')


def test_nothing_to_attribute_says_so(results):
    results["trees"], results["corpus"]["datasets"] = [], []
    assert render(NoticeFile(), results).endswith("\nNo licence found in the audited data requires a notice.\n")


def test_documents_are_counted_per_licence_and_tree_datasets_listed_once(results):
    """A licence inside several expressions is counted once per document; holders do not leak across licences."""
    dataset = results["corpus"]["datasets"][0]
    dataset["licenses"] = {"CC-BY-4.0": 3, "CC-BY-4.0 AND MIT": 2, "none": 10}
    results["corpus"]["datasets"].append(
        {
            "name": "code",
            "kind": "code",
            "format": "tree",
            "declared_license": "Apache-2.0",
            "licenses": {"MIT": 4},
            "copyright_holders": {"Acme Corp.": 1},
        }
    )
    parts = sections(render(NoticeFile(), results))
    assert "dataset web-captions: declared licence of the dataset; found in 5 documents" in parts["CC-BY-4.0"]
    assert "dataset web-captions: found in 2 documents" in parts["MIT"]
    assert "dataset code" not in parts["MIT"] and "dataset code" not in parts["Apache-2.0"]
    assert "Acme Corp." not in parts["Apache-2.0"] and "Acme Corp." not in parts["MIT"]
    # a bare holder name that a full statement already gives is not repeated
    mit_notices = parts["MIT"].split("Applies to:")[0]
    assert "Copyright (c) 2024 Example Lens Authors" in mit_notices
    assert "\n  Example Lens Authors\n" not in mit_notices
