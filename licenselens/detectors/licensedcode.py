"""Licence texts, notices and references, matched by ScanCode's licensedcode index."""

from __future__ import annotations

from functools import cache

from licenselens.detectors.base import Content, Detector
from licenselens.scancode.api import file_licenses, query_tokens
from licenselens.scancode.licensedb import load_facts
from licenselens.types.findings import Findings


class MatchTrigger:
    """Exact test of whether ScanCode's matchers could match anything in a text.

    Every non-weak rule holds a legalese token, and ScanCode's approximate
    matcher needs one in the query; a weak rule (no legalese token) can only be
    matched exactly, so all its tokens must be in the text. A text with neither
    is left alone and the index is never loaded for it.
    """

    def __init__(self, legalese: list[str], weak_rule_tokens: list[list[str]]):
        self.legalese = frozenset(legalese)
        self.weak_rules = [frozenset(t) for t in weak_rule_tokens]
        self.weak_vocab = frozenset().union(*self.weak_rules)

    def can_match(self, text: str) -> bool:
        tokens = query_tokens(text)
        if not self.legalese.isdisjoint(tokens):
            return True
        present = tokens & self.weak_vocab
        return any(rule <= present for rule in self.weak_rules)


@cache
def match_trigger() -> MatchTrigger:
    facts = load_facts()
    return MatchTrigger(facts["legalese"], facts["weak_rule_tokens"])


class LicensedcodeDetector(Detector):
    name = "licensedcode"

    def wants(self, content: Content) -> bool:
        return content.text is not None and bool(content.text) and match_trigger().can_match(content.text)

    def detect(self, content: Content) -> Findings:
        return file_licenses(content.location, content.timeout, self.name, content.memory_allowance)
