"""privacy.redact, the one masking pass, and the writer interfaces that make every writer go through it."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from licenselens.privacy import MaskedConsole, redact
from licenselens.reporters import CHECK_REPORTERS, REPORTERS
from licenselens.reporters.audit_base import AuditWriter
from licenselens.reporters.audit_outputs import AUDIT_WRITERS
from licenselens.reporters.base import Reporter
from licenselens.reporters.overlap_reporters import OVERLAP_REPORTERS, OverlapReporter
from licenselens.types.overlap import OverlapVerdict

EMAIL = "jane.roe@mail.licenselens-sample.net"


@dataclass(frozen=True)
class Inner:
    value: str
    count: int


@dataclass(frozen=True)
class Outer:
    name: str
    items: tuple[Inner, ...]
    extra: dict
    verdict: OverlapVerdict


def test_every_string_is_masked_keys_included_and_nothing_else_changes():
    value = Outer(
        f"post by {EMAIL}",
        (Inner("call +49 30 87518440", 3), Inner("plain", 1)),
        {EMAIL: [f"<{EMAIL}>", 7, None, 1.5]},
        OverlapVerdict.VERBATIM,
    )
    out = redact(value)
    text = repr(out)
    assert EMAIL not in text and "87518440" not in text
    assert out.name == "post by j***@m***.net"
    assert out.items[1] is value.items[1] and out.items[0].count == 3
    assert list(out.extra) == ["j***@m***.net"] and out.extra["j***@m***.net"][1:] == [7, None, 1.5]
    assert out.verdict is OverlapVerdict.VERBATIM
    assert value.name == f"post by {EMAIL}"  # rebuilt, never changed in place
    assert redact(out) == out  # masking is idempotent


@pytest.mark.parametrize("text", ["src/lang3/StringUtils.java", "Copyright 2001-2024 The Apache Software Foundation"])
def test_strings_without_personal_data_come_back_as_they_are(text):
    assert redact(text) is text


def test_no_writer_bypasses_the_masking_write():
    """Every registered writer renders through its interface's ``write``, which masks first."""
    families = [
        (Reporter, list(REPORTERS.values()) + list(CHECK_REPORTERS.values())),
        (OverlapReporter, list(OVERLAP_REPORTERS.values())),
        (AuditWriter, list(AUDIT_WRITERS.values())),
    ]
    for base, writers in families:
        assert writers
        for writer in writers:
            assert issubclass(writer, base) and writer.write is base.write, writer


def test_the_terminal_console_masks_what_it_prints():
    out = io.StringIO()
    MaskedConsole(file=out, width=200).print(f"[red]error[/red] web:{EMAIL}/post-1: bad-field")
    assert EMAIL not in out.getvalue() and "j***@m***.net" in out.getvalue()


def test_error_messages_that_end_a_command_are_masked():
    from licenselens.cli.errors import InputError, ItemsFailed

    for error in (InputError(f"bad record {EMAIL}/post-1"), ItemsFailed(f"shard of {EMAIL} died")):
        assert EMAIL not in error.format_message() and "j***@m***.net" in error.format_message()


def test_keys_that_mask_alike_keep_their_counts_and_paths_and_sets_are_masked():
    from pathlib import Path

    assert redact({"by jane@corp.com": 1, "by jake@corp.com": 2}) == {"by j***@c***.com": 3}
    assert redact({"a jane@corp.com": "x", "a jake@corp.com": "y"}) == {
        "a j***@c***.com": "x",
        "a j***@c***.com (2)": "y",
    }
    assert redact(Path(f"/home/{EMAIL}/x")) == Path("/home/j***@m***.net/x")
    assert redact({f"to {EMAIL}"}) == {"to j***@m***.net"}
