"""robots.txt and ai.txt read with the standard library's parser (groups of several user-agent lines,
comments, Allow before Disallow), not matched line by line.

A group that names an AI crawler and keeps it from the whole site is a machine-readable reservation;
so is an ai.txt (Spawning's convention, recognised by its file name or by naming itself) that disallows
anything for every agent. The crawler names and file names are data in rules/tdm_signals.yaml.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cache
from urllib.robotparser import RobotFileParser

from licenselens.rules import load_yaml

_AGENT_LINE = re.compile(r"^[ \t]*user-agent[ \t]*:[ \t]*([^#\r\n]*)", re.IGNORECASE | re.MULTILINE)
_DISALLOW_LINE = re.compile(r"^[ \t]*disallow[ \t]*:[ \t]*[^#\s]", re.IGNORECASE | re.MULTILINE)
_NAMES_ITSELF = re.compile(r"\bai\.txt\b", re.IGNORECASE)


@dataclass(frozen=True)
class RobotsRules:
    signal: str  # the signal id these rules report
    crawlers: tuple[str, ...]  # user agents of AI crawlers, as sites name them
    ai_txt_names: tuple[str, ...]  # file names read as ai.txt


@cache
def robots_rules(source: str = "tdm_signals.yaml") -> RobotsRules:
    table = load_yaml(source)["robots"]
    return RobotsRules(table["signal"], tuple(table["ai_crawlers"]), tuple(n.lower() for n in table["ai_txt_names"]))


def robots_signals(text: str, low: str, name: str | None, rules: RobotsRules) -> list[tuple[str, int]]:
    """(signal id, line) when ``text`` is a robots.txt or ai.txt that reserves AI use; ``low`` is ``text``
    lowercased, ``name`` the document's file name when it has one."""
    if "user-agent" not in low:  # a substring test first: most documents are no robots file
        return []
    agents = list(_AGENT_LINE.finditer(text))
    if not agents:
        return []
    is_ai_txt = (name is not None and posixpath.basename(name).lower() in rules.ai_txt_names) or bool(
        _NAMES_ITSELF.search(text)
    )
    disallow = _DISALLOW_LINE.search(text)
    if is_ai_txt and disallow and any(a.group(1).strip() == "*" for a in agents):
        return [(rules.signal, _line(text, disallow.start()))]
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    for crawler in rules.crawlers:  # named in a group (not only covered by "*") and kept from the site
        named = next((a for a in agents if crawler.lower() in a.group(1).lower()), None)
        if named is not None and not parser.can_fetch(crawler, "/"):
            return [(rules.signal, _line(text, named.start()))]
    return []


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1
