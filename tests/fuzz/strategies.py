"""Hypothesis strategies shared by the fuzz tests: SPDX expressions built from real identifiers."""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st


@cache
def spdx_ids() -> list[str]:
    """Every SPDX id (and LicenseRef-scancode-*) that ScanCode's licence DB knows, exceptions left out."""
    from licenselens.scancode.licensedb import license_db

    return sorted(
        {info.spdx for info in license_db().by_key.values() if info.spdx and "exception" not in info.spdx.lower()}
    )


EXCEPTIONS = [
    "Classpath-exception-2.0",
    "LLVM-exception",
    "GCC-exception-3.1",
    "Autoconf-exception-3.0",
    "Bison-exception-2.2",
    "Font-exception-2.0",
]
COMMON = [
    "MIT",
    "Apache-2.0",
    "BSD-3-Clause",
    "GPL-2.0-only",
    "GPL-3.0-or-later",
    "LGPL-2.1-or-later",
    "AGPL-3.0-only",
    "MPL-2.0",
    "CC-BY-4.0",
    "CC-BY-NC-4.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "Unlicense",
    "LicenseRef-scancode-proprietary-license",
    "LicenseRef-scancode-unknown",
    "LicenseRef-Acme-1",
]


def licence_ids() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(COMMON), st.sampled_from(spdx_ids()))


def simple_terms() -> st.SearchStrategy[str]:
    return st.one_of(
        licence_ids(),
        st.builds(
            lambda lic, exc: f"{lic} WITH {exc}",
            st.sampled_from(["GPL-2.0-only", "GPL-2.0-or-later", "Apache-2.0", "GPL-3.0-or-later"]),
            st.sampled_from(EXCEPTIONS),
        ),
    )


def expressions(max_leaves: int = 6) -> st.SearchStrategy[str]:
    """Valid SPDX expressions: identifiers joined by AND/OR with parentheses, nested."""
    return st.recursive(
        simple_terms(),
        lambda inner: st.builds(
            lambda a, op, b, paren: f"({a} {op} {b})" if paren else f"{a} {op} {b}",
            inner,
            st.sampled_from(["AND", "OR", "and", "or"]),
            inner,
            st.booleans(),
        ),
        max_leaves=max_leaves,
    )


# the pieces malformed expressions are made of
EXPRESSION_JUNK = st.lists(
    st.sampled_from(
        [
            "MIT",
            "OR",
            "AND",
            "WITH",
            "(",
            ")",
            " ",
            "+",
            "LicenseRef-x",
            "-",
            "Apache-2.0",
            "GPL-2.0-or-later",
            "Classpath-exception-2.0",
            "mit",
            ",",
            "/",
            ":",
            "DocumentRef-a:LicenseRef-b",
            "\t",
            "é",
            "\x00",
        ]
    ),
    max_size=12,
).map("".join)
