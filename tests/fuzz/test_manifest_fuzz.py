"""Dataset manifests: any table (written as TOML and read by load_manifest) gives a Manifest or a
ManifestError that names the file and the field; never another exception. Any text or bytes too."""

import datetime
import json
import re

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from licenselens.sources.manifest import FORMATS, ManifestError, load_manifest
from licenselens.types.corpus import KINDS, METADATA_FIELDS, STAGES

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIELD = re.compile(r"^[^:]*licenselens\.toml(:\d+)?: (datasets|outputs|model|processing|policy)\b")

# --- a small TOML writer: values hypothesis generates are written exactly as tomllib reads them back ---


def toml_string(text):
    escaped = "".join(f"\\u{ord(c):04x}" if c in '"\\' or ord(c) < 0x20 or ord(c) == 0x7F else c for c in text)
    return f'"{escaped}"'


def toml_key(key):
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(value), repr(value))
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(table):
    lines = [
        f"{toml_key(k)} = {toml_value(v)}"
        for k, v in table.items()
        if not isinstance(v, dict) and not (isinstance(v, list) and v and all(isinstance(x, dict) for x in v))
    ]
    for key, value in table.items():
        if isinstance(value, dict):
            lines += ["", f"[{toml_key(key)}]"] + [f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            for item in value:
                lines += ["", f"[[{toml_key(key)}]]"] + [f"{toml_key(k)} = {toml_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


# --- tables: mostly the manifest's own fields, with valid and invalid values ---

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
SCALAR = st.one_of(TEXT, st.integers(-10, 10**12), st.floats(), st.booleans(), st.dates())
ANY_VALUE = st.recursive(
    SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)), max_leaves=6
)


PATHS = st.sampled_from(
    [
        "data.jsonl",
        "corpus/",
        "*.jsonl",
        "web/*.jsonl.gz",
        "x" * 300,
        "a/" * 2100,
        "/etc/hostname",
        "../up.parquet",
        "dir[",
        "",
    ]
)
VALID = {  # per field, values that are right on their own
    "name": st.sampled_from(["web", "books", "a.b-c_d", "web2"]),
    "stage": st.sampled_from(STAGES),
    "kind": st.sampled_from(KINDS),
    "paths": st.one_of(st.lists(PATHS.filter(bool), min_size=1, max_size=3), PATHS.filter(bool)),
    "format": st.sampled_from(FORMATS),
    "text_field": st.one_of(st.sampled_from(["text", "content"]), st.lists(st.sampled_from(["a", "b"]), min_size=1)),
    "id_field": st.sampled_from(["id", "chapter"]),
    "fields": st.dictionaries(st.sampled_from(METADATA_FIELDS), st.sampled_from(["url", "license"]), max_size=3),
    "license": st.sampled_from(
        ["MIT", "CC-BY-4.0", "LicenseRef-x", "GPL-2.0-or-later WITH Classpath-exception-2.0", "mit and apache-2.0"]
    ),
    "source": TEXT.filter(str.strip),
    "notes": TEXT.filter(str.strip),
}
INVALID = {  # and values that are wrong, or may be
    "name": st.sampled_from(["Web", "-x", "", " "]),
    "paths": st.sampled_from([[], "", [""], [1]]),
    "license": st.sampled_from(["MIT OR", "Bogus-1.0", "(MIT", " ", "DocumentRef-a", "()", "MIT AND ( )"]),
    "fields": st.dictionaries(st.one_of(st.sampled_from(METADATA_FIELDS), TEXT), ANY_VALUE, min_size=1, max_size=2),
    "text_field": st.sampled_from([[], [""], ""]),
}


@st.composite
def mutated(draw, required, optional, extra_keys):
    """A table that is valid but for a few mutations: a field removed, given a wrong value, or added."""
    table = {key: draw(VALID[key]) for key in required}
    table.update({key: draw(VALID[key]) for key in optional if draw(st.booleans())})
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(list(required) + list(optional) + extra_keys))
        action = draw(st.sampled_from(["delete", "wrong", "any"]))
        if action == "delete":
            table.pop(key, None)
        elif action == "wrong" and key in INVALID:
            table[key] = draw(INVALID[key])
        else:
            table[key] = draw(ANY_VALUE)
    return table


DATASET = mutated(
    ("name", "stage", "kind", "paths"),
    ("format", "text_field", "id_field", "fields", "license", "source", "notes"),
    ["colour"],
)
OUTPUT = mutated(("name", "paths"), ("format", "text_field", "id_field", "fields"), ["stage", "license"])
TABLE = st.fixed_dictionaries(
    {"datasets": st.one_of(st.lists(DATASET, min_size=1, max_size=3), st.lists(DATASET, max_size=3), ANY_VALUE)},
    optional={
        "outputs": st.one_of(st.lists(OUTPUT, max_size=2), ANY_VALUE),
        "model": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "name": TEXT,
                    "use": st.sampled_from(["generative", "non-generative", "other"]),
                    "knowledge_cutoff": st.one_of(st.just("2024-06"), st.dates()),
                    "provider": TEXT,
                },
            ),
            ANY_VALUE,
        ),
        "processing": st.dictionaries(
            st.sampled_from(["dedup", "pii_removed", "opt_outs_removed", "other"]),
            st.one_of(st.booleans(), ANY_VALUE),
            max_size=3,
        ),
        "policy": st.one_of(st.sampled_from(["default", "mine.yaml", "commercial-model"]), ANY_VALUE),
        "extra": ANY_VALUE,
    },
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("manifest-fuzz")


def load(folder, data: bytes):
    path = folder / "licenselens.toml"
    path.write_bytes(data)
    try:
        return load_manifest(path)
    except ManifestError as exc:
        return exc


@settings(FUZZ, max_examples=400)
@given(TABLE)
def test_any_table_gives_a_manifest_or_an_error_naming_the_field(folder, table):
    result = load(folder, toml_document(table).encode("utf-8"))
    event("manifest" if not isinstance(result, ManifestError) else "error")
    if isinstance(result, ManifestError):
        assert FIELD.match(str(result)), str(result)
        return
    assert result.datasets and len({d.name for d in result.datasets}) == len(result.datasets)
    for spec in result.datasets:
        assert spec.stage in STAGES and spec.kind in KINDS and spec.format in FORMATS
        assert re.fullmatch(r"[a-z0-9][a-z0-9._-]*", spec.name) and spec.paths
        assert all(meta in METADATA_FIELDS for meta, _ in spec.fields)


@settings(FUZZ, max_examples=300)
@given(
    st.one_of(
        st.text(max_size=300),
        st.binary(max_size=300),
        st.lists(
            st.sampled_from(
                [
                    "[[datasets]]",
                    "name = \"a\"",
                    "stage = \"sft\"",
                    "kind = \"qa\"",
                    "paths = [\"x\"]",
                    "[datasets.fields]",
                    "url = 1",
                    "[[outputs]]",
                    "[model]",
                    "use = \"x\"",
                    "policy = 3",
                    "=",
                    "[",
                    "\"",
                    "\x00",
                ]
            ),
            max_size=12,
        ).map("\n".join),
    )
)
def test_any_text_or_bytes_give_a_manifest_or_a_manifest_error(folder, content):
    data = content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
    result = load(folder, data)
    if isinstance(result, ManifestError):
        assert str(result).startswith(str(folder / "licenselens.toml"))


def test_the_toml_writer_round_trips():
    # the test above is only as good as its writer
    import tomllib

    table = {
        "policy": "a\"b\\c\x01é\U0001f600",
        "n": -3,
        "f": float("inf"),
        "d": datetime.date(2024, 6, 1),
        "model": {"name": "m", "x y": [1, "2", {"k": True}]},
        "datasets": [{"name": "a"}, {"paths": []}],
    }
    assert tomllib.loads(toml_document(table)) == table
    assert json.dumps(tomllib.loads(toml_document({"a": float("nan")}))) == '{"a": NaN}'
