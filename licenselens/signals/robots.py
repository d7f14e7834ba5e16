"""robots.txt and ai.txt read with Protego, Scrapy's parser of Google's robots.txt rules (RFC 9309: groups
of several user-agent lines, blank lines inside a group, comments, ``*`` and ``$`` wildcards, Allow
before Disallow by length), not matched line by line.

A document is read as a robots file when its name says so (robots.txt, an ai.txt name) or when most of
its lines are robots fields: a README that quotes a snippet is no robots file. A group that names an AI
crawler and keeps it from the whole site is a machine-readable reservation; so is an ai.txt (Spawning's
convention, recognised by its file name or by naming itself) whose rules for every agent disallow
anything. The crawler names, file names and fields are data in rules/tdm_signals.yaml.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cache

from protego import Protego

from licenselens.rules import load_yaml

_AGENT_LINE = re.compile(r"^[ \t]*user-agent[ \t]*:[ \t]*([^#\r\n]*)", re.IGNORECASE | re.MULTILINE)
_DISALLOW_VALUE = re.compile(r"^[ \t]*disallow[ \t]*:[ \t]*([^#\s]+)", re.IGNORECASE | re.MULTILINE)
_FIELD = re.compile(r"^[ \t]*([A-Za-z-]+)[ \t]*:")
_NAMES_ITSELF = re.compile(r"\bai\.txt\b", re.IGNORECASE)
_SITE = "https://site.invalid"
_ANY_AGENT = "licenselens-any-agent"  # a name no group has: the rules for "*"


@dataclass(frozen=True)
class RobotsRules:
    signal: str  # the signal id these rules report
    crawlers: tuple[str, ...]  # user agents of AI crawlers, as sites name them
    ai_txt_names: tuple[str, ...]  # file names read as ai.txt
    robots_names: tuple[str, ...]  # file names read as robots.txt
    fields: frozenset[str]  # robots fields, lowercase: what most lines of an unnamed robots file are
    min_field_share: float


@cache
def robots_rules(source: str = "tdm_signals.yaml") -> RobotsRules:
    table = load_yaml(source)["robots"]
    return RobotsRules(
        table["signal"],
        tuple(table["ai_crawlers"]),
        tuple(n.lower() for n in table["ai_txt_names"]),
        tuple(n.lower() for n in table["robots_names"]),
        frozenset(f.lower() for f in table["fields"]),
        float(table["min_field_share"]),
    )


def is_robots_file(text: str, rules: RobotsRules) -> bool:
    """Most lines (comments and blank lines aside) are robots fields."""
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return False
    fields = sum(1 for line in lines if (m := _FIELD.match(line)) and m.group(1).lower() in rules.fields)
    return fields >= rules.min_field_share * len(lines)


def robots_signals(text: str, low: str, name: str | None, rules: RobotsRules) -> list[tuple[str, int]]:
    """(signal id, line) when ``text`` is a robots.txt or ai.txt that reserves AI use; ``low`` is ``text``
    lowercased, ``name`` the document's file name when it has one."""
    if "user-agent" not in low:  # a substring test first: most documents are no robots file
        return []
    agents = list(_AGENT_LINE.finditer(text))
    if not agents:
        return []
    base = posixpath.basename(name).lower() if name else ""
    is_ai_txt = base in rules.ai_txt_names or (not base and bool(_NAMES_ITSELF.search(text)))
    if not (is_ai_txt or base in rules.robots_names or is_robots_file(text, rules)):
        return []
    parser = Protego.parse(text.encode("utf-8", "replace").decode("utf-8"))  # lone surrogates of undecodable bytes
    if is_ai_txt:  # Spawning's ai.txt: kinds of files every agent may not take (Disallow: *.jpg), or all (/)
        for disallow in _DISALLOW_VALUE.finditer(text):
            if disallow.group(1) != "/" and "*" not in disallow.group(1):
                continue  # one path (/search) is no reservation of the site's works
            path = "/" + disallow.group(1).replace("*", "a").rstrip("$").lstrip("/")
            if not parser.can_fetch(_SITE + path, _ANY_AGENT):
                return [(rules.signal, _line(text, disallow.start()))]
    for crawler in rules.crawlers:  # named in a group (not only covered by "*") and kept from the site
        named = next((a for a in agents if crawler.lower() in a.group(1).lower()), None)
        if named is not None and not parser.can_fetch(_SITE + "/", crawler):
            return [(rules.signal, _line(text, named.start()))]
    return []


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1
