import textwrap

import pytest

from licenselens.sources.manifest import ManifestError, load_manifest, manifest_for

GOOD = """\
[model]
name = "m"

[[datasets]]
name = "web"
stage = "pretraining"
kind = "web"
paths = ["web/*.jsonl"]
license = "CC-BY-4.0"
[datasets.fields]
url = "url"

[[datasets]]
name = "prefs"
stage = "rlhf"
kind = "qa"
paths = ["prefs.jsonl.zst"]
text_field = ["prompt", "chosen", "rejected"]

[[outputs]]
name = "out"
paths = ["out.jsonl"]
"""


def write(tmp_path, text, name="licenselens.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_valid_manifest(tmp_path):
    m = load_manifest(write(tmp_path, GOOD))
    web, prefs = m.datasets
    assert (web.name, web.stage, web.kind, web.format, web.license) == (
        "web",
        "pretraining",
        "web",
        "jsonl",
        "CC-BY-4.0",
    )
    assert web.fields == (("url", "url"),) and web.paths == (str(tmp_path / "web/*.jsonl"),)
    assert prefs.text_field == ("prompt", "chosen", "rejected") and prefs.text_field_given and prefs.format == "jsonl"
    assert m.outputs[0].name == "out" and m.model == "m"


@pytest.mark.parametrize(
    "old, new, line, message",
    [
        (
            'stage = "rlhf"',
            'stage = "rl"',
            15,
            "datasets[1] (prefs).stage: 'rl' is not one of pretraining, sft, rlhf, domain",
        ),
        ('kind = "web"', 'kind = "forum"', 7, "datasets[0] (web).kind: 'forum' is not one of"),
        (
            'license = "CC-BY-4.0"',
            'license = "CC-BY-4.0 AND Bogus-1.0"',
            9,
            "datasets[0] (web).license: 'CC-BY-4.0 AND Bogus-1.0' is not a valid SPDX expression: unknown Bogus-1.0",
        ),
        ('paths = ["web/*.jsonl"]', 'paths = 3', 8, "datasets[0] (web).paths: must be a non-empty list"),
        ('url = "url"', 'link = "url"', 11, "datasets[0] (web).fields.link: unknown metadata"),
        ('name = "prefs"', 'name = "web"', 14, "datasets[1].name: 'web' is used by another dataset"),
        (
            'text_field = ["prompt", "chosen", "rejected"]',
            'text_field = [1]',
            18,
            "datasets[1] (prefs).text_field: must be a field name",
        ),
        ('kind = "qa"', 'kind = "qa"\ncolour = "red"', 17, "datasets[1] (prefs).colour: unknown field"),
    ],
)
def test_errors_name_the_line_and_the_field(tmp_path, old, new, line, message):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert message in str(info.value)


def test_missing_required_field_and_bad_toml(tmp_path):
    path = write(tmp_path, GOOD.replace('kind = "web"\n', "", 1))
    with pytest.raises(ManifestError, match=r":4: datasets\[0\] \(web\)\.kind: required field is missing"):
        load_manifest(path)
    path = write(tmp_path, GOOD.replace('name = "m"', 'name = "m'))
    with pytest.raises(ManifestError, match=r"invalid TOML: .*line 2"):
        load_manifest(path)


def test_pyproject_tool_table(tmp_path):
    text = GOOD.replace("[model]", "[tool.licenselens.model]").replace("[[datasets]]", "[[tool.licenselens.datasets]]")
    text = text.replace("[datasets.fields]", "[tool.licenselens.datasets.fields]").replace(
        "[[outputs]]", "[[tool.licenselens.outputs]]"
    )
    path = write(tmp_path, "[project]\nname = 'x'\n\n" + text.replace('kind = "qa"', 'kind = "q"'), "pyproject.toml")
    with pytest.raises(ManifestError, match=r"pyproject.toml:19: datasets\[1\] \(prefs\)\.kind"):
        load_manifest(path)


def test_a_plain_path_is_a_one_dataset_manifest(tmp_path):
    (tmp_path / "Data Set").mkdir()
    data = tmp_path / "Data Set" / "docs.jsonl.gz"
    data.write_bytes(b"")
    m = manifest_for(data)
    assert [(d.name, d.format) for d in m.datasets] == [("docs.jsonl.gz", "jsonl")]
    assert manifest_for(tmp_path / "Data Set").datasets[0].format == "tree"


def test_samples_manifest_is_valid():
    from ..conftest import REPO

    m = load_manifest(REPO / "samples" / "licenselens.toml")
    assert {d.stage for d in m.datasets} == {"pretraining", "sft", "rlhf", "domain"}
    assert {"web", "books", "encyclopedia", "code", "qa", "legal", "medical"} <= {d.kind for d in m.datasets}
