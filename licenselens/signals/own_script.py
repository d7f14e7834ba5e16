"""Copyright statements and holders of Chinese lines kept in their own script.

ScanCode's copyright parser transliterates Chinese and cuts it by its grammar (版权所有 © 2024 华信科技有限公司
gives the holder "Hua Xin Ke"). Where a statement's lines hold Chinese characters, the statement is the line's
own text and the holder the name the line writes (patterns: rules/corpus_anchors.yaml ``own_script``). Used for
corpus documents (signals/regions.py) and for files (the copyright detector), so a source tree's holders read
as its documents' do: a deliberate difference from ScanCode's output, which names nobody there.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import cache

from licenselens.rules import load_yaml
from licenselens.types.findings import Findings


@dataclass(frozen=True)
class OwnScript:
    characters: re.Pattern
    statement: re.Pattern
    holders: tuple[re.Pattern, ...]


@cache
def own_script() -> OwnScript:
    table = load_yaml("corpus_anchors.yaml")["own_script"]
    return OwnScript(
        re.compile(table["characters"]),
        re.compile(table["statement"], re.IGNORECASE),
        tuple(re.compile(p, re.IGNORECASE) for p in table["holders"]),
    )


def in_own_script(found: Findings, region: str, rules: OwnScript) -> Findings:
    """Statements of Chinese lines as the line writes them (``region``: the text ScanCode read, whose lines
    the statements number)."""
    if not found.statements:
        return found
    lines = region.splitlines()
    statements = []
    for s in found.statements:
        original = " ".join(lines[s.start_line - 1 : s.end_line]).strip()
        value = None
        if rules.characters.search(original):
            if s.kind == "copyright":
                match = rules.statement.search(original)
                value = match.group().strip() if match else None
            elif s.kind == "holder":
                match = next((m for p in rules.holders if (m := p.search(original))), None)
                value = match.group("holder") if match else None
        statements.append(dataclasses.replace(s, value=value) if value else s)
    return dataclasses.replace(found, statements=tuple(statements))
