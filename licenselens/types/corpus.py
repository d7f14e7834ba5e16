"""Datasets, their documents and the shards they are read in (the sources layer)."""

from __future__ import annotations

from dataclasses import dataclass

from licenselens.types.convert import printable

STAGES = ("pretraining", "sft", "rlhf", "domain")
KINDS = ("web", "books", "encyclopedia", "code", "qa", "legal", "medical", "other")
METADATA_FIELDS = ("url", "license", "source", "repo", "path")


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset of a manifest: what it is, where its files are and how to read them."""

    name: str
    stage: str
    kind: str
    paths: tuple[str, ...]  # absolute, globs expanded at planning time
    format: str
    text_field: tuple[str, ...] = ("text", "content")  # several fields are joined with a blank line
    id_field: str = "id"
    fields: tuple[tuple[str, str], ...] = ()  # (metadata name, record field)
    license: str | None = None  # declared SPDX expression
    source: str | None = None
    notes: str | None = None
    text_field_given: bool = False  # a given field is required; the defaults are alternatives


@dataclass(frozen=True)
class Manifest:
    model: str | None
    description: str | None
    datasets: tuple[DatasetSpec, ...]
    outputs: tuple[DatasetSpec, ...]  # model outputs, read like datasets
    source: str  # file it came from, or the path given
    provider: str | None = None
    model_use: str = "generative"  # or "non-generative": weighs on fair use (Thomson Reuters v. Ross)
    knowledge_cutoff: str | None = None
    policy: str | None = None  # policy of `licenselens audit`: a built-in name or a path
    processing: tuple[tuple[str, bool], ...] = ()  # what was done to the data: opt_outs_removed, pii_removed, dedup
    surrogates: str | None = None  # ledger of synthetic surrogates written by `clean` (remedy/surrogates.py)


@dataclass(frozen=True)
class Document:
    dataset: str
    doc_id: str
    text: str
    origin: str  # "file:line" or "file#row": where the record is
    metadata: tuple[tuple[str, str], ...] = ()  # url, license, source, repo, path when present
    location: str | None = None  # a real file, for documents that are files of a source tree


@dataclass(frozen=True)
class DocumentError:
    dataset: str
    origin: str
    code: str  # "malformed-json" | "missing-field" | "bad-field" | "unreadable" | "corrupt-file" | ...
    message: str

    def __post_init__(self) -> None:
        # origins and messages name files, whose names need not be UTF-8; results are written as UTF-8
        object.__setattr__(self, "origin", printable(self.origin))
        object.__setattr__(self, "message", printable(self.message))


@dataclass(frozen=True)
class Shard:
    """A unit of corpus work: part of one input file. ``key`` changes when the input changes."""

    dataset: str
    reader: str
    location: str
    start: int
    stop: int
    key: str
    first_record: int = 1  # line or row number of the shard's first record, for error messages
