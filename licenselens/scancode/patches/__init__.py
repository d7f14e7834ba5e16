"""Exact, faster replacements of ScanCode functions: same results field by field, proven by the tests listed.

| replaced (scancode-toolkit 32.5.0)                  | by                                  | proven equal by                                  |
|-----------------------------------------------------|-------------------------------------|--------------------------------------------------|
| licensedcode.match_set.compute_candidates           | candidates.compute_candidates       | tests/scancode/patches/test_candidates.py        |
| licensedcode.index.match_blocks_seq (cyseq)         | sequence_blocks.match_blocks        | tests/scancode/patches/test_sequence_blocks.py   |
| licensedcode.query.QueryRun.is_digits_only          | query_runs.is_digits_only           | tests/scancode/patches/test_sequence_blocks.py   |
| licensedcode.query.QueryRun.high_matchables         | query_runs._high_matchables         | tests/scancode/patches/test_sequence_blocks.py   |
| licensedcode.query.QueryRun.low_matchables          | query_runs._low_matchables          | tests/scancode/patches/test_sequence_blocks.py   |
| pygmars.lex.Lexer.lex_tokens                        | copyright_parsing.lex_tokens        | tests/scancode/patches/test_copyright_parsing.py |
| pygmars.parse.Parser.parse                          | copyright_parsing.parse_tree        | tests/scancode/patches/test_copyright_parsing.py |
| cluecode.copyrights.is_candidate                    | copyright_parsing.is_candidate      | tests/scancode/patches/test_copyright_parsing.py |
| cluecode.copyrights.prepare_text_line               | copyright_parsing.prepare_text_line | tests/scancode/patches/test_copyright_parsing.py |
| licensedcode.match.tokenize_matched_text            | matched_text.tokenize_matched_text  | tests/scancode/patches/test_matched_text.py      |
| licensedcode.spans.Span.__init__                    | spans.__init__                      | tests/scancode/patches/test_spans.py             |
| licensedcode.spans.Span.overlap                     | spans.overlap                       | tests/scancode/patches/test_spans.py             |
| licensedcode.spans.Span.distance_to                 | spans.distance_to                   | tests/scancode/patches/test_spans.py             |

``PATCHES`` below is that table as data (tests/scancode/patches/test_table.py checks that installing
replaces exactly these). They rely on the internals of the pinned toolkit, so ``install`` refuses any
other version. Each worker calls ``install`` once when it starts (the execution layer's worker setup).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

PINNED_SCANCODE = "32.5.0"


@dataclass(frozen=True)
class Patch:
    target: str  # module:attribute path of the replaced function
    module: str  # the licenselens module holding the replacement (its install/uninstall switch it)
    test: str  # the test that compares the replacement with the original


_HERE = "licenselens.scancode.patches"
_TESTS = "tests/scancode/patches"
PATCHES = (
    Patch("licensedcode.match_set:compute_candidates", f"{_HERE}.candidates", f"{_TESTS}/test_candidates.py"),
    Patch("licensedcode.index:match_blocks_seq", f"{_HERE}.sequence_blocks", f"{_TESTS}/test_sequence_blocks.py"),
    Patch("licensedcode.query:QueryRun.is_digits_only", f"{_HERE}.query_runs", f"{_TESTS}/test_sequence_blocks.py"),
    Patch("licensedcode.query:QueryRun.high_matchables", f"{_HERE}.query_runs", f"{_TESTS}/test_sequence_blocks.py"),
    Patch("licensedcode.query:QueryRun.low_matchables", f"{_HERE}.query_runs", f"{_TESTS}/test_sequence_blocks.py"),
    Patch("pygmars.lex:Lexer.lex_tokens", f"{_HERE}.copyright_parsing", f"{_TESTS}/test_copyright_parsing.py"),
    Patch("pygmars.parse:Parser.parse", f"{_HERE}.copyright_parsing", f"{_TESTS}/test_copyright_parsing.py"),
    Patch("cluecode.copyrights:is_candidate", f"{_HERE}.copyright_parsing", f"{_TESTS}/test_copyright_parsing.py"),
    Patch("cluecode.copyrights:prepare_text_line", f"{_HERE}.copyright_parsing", f"{_TESTS}/test_copyright_parsing.py"),
    Patch("licensedcode.match:tokenize_matched_text", f"{_HERE}.matched_text", f"{_TESTS}/test_matched_text.py"),
    Patch("licensedcode.spans:Span.__init__", f"{_HERE}.spans", f"{_TESTS}/test_spans.py"),
    Patch("licensedcode.spans:Span.overlap", f"{_HERE}.spans", f"{_TESTS}/test_spans.py"),
    Patch("licensedcode.spans:Span.distance_to", f"{_HERE}.spans", f"{_TESTS}/test_spans.py"),
)


class ScancodeVersionError(RuntimeError):
    """The installed scancode-toolkit is not the one the patches were proven on."""


def check_version(installed: str | None = None) -> None:
    if installed is None:
        try:
            installed = version("scancode-toolkit")
        except PackageNotFoundError:
            installed = "not installed"
    if installed != PINNED_SCANCODE:
        raise ScancodeVersionError(
            f"licenselens needs scancode-toolkit {PINNED_SCANCODE} (its exact replacements of ScanCode functions "
            f"were proven on that version), but found {installed}: install scancode-toolkit=={PINNED_SCANCODE}"
        )


def _modules() -> list:
    return [importlib.import_module(name) for name in dict.fromkeys(p.module for p in PATCHES)]


def install() -> None:
    """Route ScanCode through the replacements; idempotent. Raises ScancodeVersionError on another toolkit."""
    check_version()
    for module in _modules():
        module.install()


def uninstall() -> None:
    """Put ScanCode's own functions back (used to compare the two)."""
    for module in _modules():
        module.uninstall()
