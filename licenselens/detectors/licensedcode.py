"""Licence texts, notices and references, matched by ScanCode's licensedcode index."""

from __future__ import annotations

from functools import cache

from licenselens.detectors.base import Content, Detector
from licenselens.scancode.api import file_licenses, query_tokens
from licenselens.scancode.licensedb import load_facts
from licenselens.types.findings import Findings


class MatchTrigger:
    """Exact test of whether ScanCode's matchers could match anything in a text.

    Every non-weak rule holds a legalese token (in any of the spellings ScanCode's
    dictionary reads as that token: "licence" is "license"), and ScanCode's approximate
    matcher needs one in the query; a weak rule (no legalese token) can only be
    matched exactly, so all its tokens must be in the text. ScanCode's SPDX-id
    matcher reads any line led by one of its prefixes, legalese or not
    (``https://licenses.nuget.org/MIT``). A text with none of these is left
    alone and the index is never loaded for it.
    """

    # the line prefixes licensedcode.query.Query collects for SPDX-id matching (spdx_lid_token_ids)
    SPDX_LID_PREFIXES = (frozenset({"spdx", "license", "identifier"}), frozenset({"licenses", "nuget", "org"}))

    def __init__(self, legalese: list[str], weak_rule_tokens: list[list[str]], aliases: dict[str, str]):
        self.legalese = frozenset(legalese)
        self.aliases = aliases  # spellings ScanCode's dictionary reads as another token ("licence")
        self.weak_rules = [frozenset(t) for t in weak_rule_tokens]
        self.weak_vocab = frozenset().union(*self.weak_rules)

    def can_match(self, text: str) -> bool:
        tokens = {self.aliases.get(t, t) for t in query_tokens(text)}
        if not self.legalese.isdisjoint(tokens):
            return True
        if any(prefix <= tokens for prefix in self.SPDX_LID_PREFIXES):
            return True
        present = tokens & self.weak_vocab
        return any(rule <= present for rule in self.weak_rules)


@cache
def match_trigger() -> MatchTrigger:
    facts = load_facts()
    return MatchTrigger(facts["legalese"], facts["weak_rule_tokens"], facts["aliases"])


class LicensedcodeDetector(Detector):
    name = "licensedcode"
    needs_index = True

    def wants(self, content: Content) -> bool:
        return content.text is not None and bool(content.text) and match_trigger().can_match(content.text)

    def detect(self, content: Content) -> Findings:
        return file_licenses(content.location, content.timeout, self.name, content.memory_allowance)
