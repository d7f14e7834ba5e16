"""Facts derived once from ScanCode's licence index and kept in the cache folder.

Loading ScanCode's index costs seconds; SPDX-tag detection, categories and the
"can this file match at all" test only need a few tables from it, so those
tables are written to a JSON file on first use and read from there after.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import BinaryIO

from license_expression import OR, LicenseSymbol, LicenseWithExceptionSymbol, Licensing

from licenselens.cachedir import cache_dir
from licenselens.expressions import spdx_licensing
from licenselens.rules import load_yaml

FACTS_FORMAT = 2


@cache
def index_version() -> str:
    """Identifies ScanCode's licence index: toolkit version plus its index cache file stamp."""
    import licensedcode

    stamp = "unbuilt"
    index_file = Path(licensedcode.__file__).parent / "data" / "cache" / "license_index" / "index_cache"
    if index_file.exists():
        st = index_file.stat()
        stamp = f"{st.st_size}-{st.st_mtime_ns}"
    return f"scancode-{version('scancode-toolkit')}-{stamp}"


# ScanCode key expressions ("mit OR apache-2.0"): no symbol table, keys kept as written
_KEY_LICENSING = Licensing()


def _build_facts() -> dict:
    from licensedcode.cache import get_index, get_licenses_db
    from licensedcode.index import get_weak_rids

    from licenselens.scancode.calls import load_index

    load_index()  # the cache holds the database too: loaded here without the collector's walks
    db = get_licenses_db()
    licenses = {
        key: {
            "spdx": lic.spdx_license_key or f"LicenseRef-scancode-{key}",
            "other_spdx": list(lic.other_spdx_license_keys or []),
            "category": lic.category or "Unstated License",
            "name": lic.short_name or lic.name or key,
        }
        for key, lic in db.items()
    }
    idx = get_index()
    tokens = idx.tokens_by_tid
    legalese = [tokens[t] for t in range(idx.len_legalese)]
    weak = get_weak_rids(idx.len_legalese, idx.tids_by_rid, idx)
    weak_rule_tokens = sorted({tuple(sorted({tokens[t] for t in idx.tids_by_rid[rid]})) for rid in weak})
    # other spellings the index reads as the same token ("licence" is "license"), by their token's own
    aliases = {word: tokens[tid] for word, tid in idx.dictionary.items() if tokens[tid] != word}
    return {
        "format": FACTS_FORMAT,
        "index_version": index_version(),
        "licenses": licenses,
        "legalese": legalese,
        "weak_rule_tokens": [list(t) for t in weak_rule_tokens],
        "aliases": dict(sorted(aliases.items())),
    }


def derived_path(kind: str, suffix: str) -> Path:
    """Where something derived from ScanCode's installed index is kept in the cache folder, by index version."""
    return cache_dir() / f"scancode-{kind}-{index_version()}{suffix}"


def write_derived(path: Path, write: Callable[[BinaryIO], object]) -> bool:
    """``write`` into ``path`` as a whole (a reader never sees half of it); False if the cache folder cannot
    be written, which loses nothing: the file is derived again next time."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return False
    return True


def _facts_path() -> Path:
    return derived_path("facts", ".json")


def facts_ready() -> bool:
    """Whether ``load_facts`` can read its file (else it loads ScanCode's index to derive them, seconds)."""
    return _facts_path().exists()


@cache
def load_facts() -> dict:
    path = _facts_path()
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") == FACTS_FORMAT:
                return data
        except (OSError, ValueError):
            pass  # corrupt or partial: rebuild below
    data = _build_facts()
    store_facts(data)
    return data


def store_facts(data: dict) -> bool:
    """Keep facts derived elsewhere (the warm server) for ``load_facts``, if they are of this index and format."""
    if data.get("format") != FACTS_FORMAT or data.get("index_version") != index_version():
        return False
    return write_derived(_facts_path(), lambda fh: fh.write(json.dumps(data).encode("utf-8")))


@dataclass(frozen=True)
class LicenseInfo:
    key: str
    spdx: str
    category: str
    name: str


class LicenseDB:
    """ScanCode licence keys, their SPDX ids and categories, ranked by rules/license_categories.yaml."""

    def __init__(self, facts: dict, ranking: dict):
        self.by_key = {k: LicenseInfo(k, v["spdx"], v["category"], v["name"]) for k, v in facts["licenses"].items()}
        self.key_by_spdx: dict[str, str] = {}
        for key, v in facts["licenses"].items():
            for spdx in [v["spdx"], *v["other_spdx"]]:
                self.key_by_spdx.setdefault(spdx.lower(), key)
        self.severity = {c: i for i, c in enumerate(ranking["severity"])}
        self.unknown_category = ranking["unknown_category"]
        self.copyleft_categories = frozenset(ranking["copyleft"])
        self.non_commercial_patterns = tuple(ranking["non_commercial_keys"])
        self.unknown_patterns = tuple(ranking["unknown_keys"])

    def category_of_key(self, key: str) -> str:
        info = self.by_key.get(key)
        return info.category if info else self.unknown_category

    def category(self, scancode_expression: str) -> str:
        """The category of a ScanCode key expression: AND takes the strictest part, OR the loosest."""
        try:
            parsed = _KEY_LICENSING.parse(scancode_expression, validate=False)
        except Exception:
            return self.unknown_category
        return self._rank(parsed, str)

    def category_of_spdx(self, spdx_expression: str) -> str:
        """The category of an SPDX expression (a declared licence), ranked like ``category``."""
        try:
            parsed = spdx_licensing().parse(spdx_expression, validate=False, strict=False)
        except Exception:
            return self.unknown_category
        if parsed is None:
            return self.unknown_category
        return self._rank(parsed, lambda spdx_id: self.key_for_spdx(spdx_id) or spdx_id.lower())

    def _rank(self, node, to_key) -> str:
        if isinstance(node, LicenseWithExceptionSymbol):
            # ScanCode categorises exceptions by what they leave of the licence (e.g. Copyleft Limited)
            exception = to_key(node.exception_symbol.key)
            return self.category_of_key(exception if exception in self.by_key else to_key(node.license_symbol.key))
        if isinstance(node, LicenseSymbol) or not getattr(node, "args", None):
            return self.category_of_key(to_key(getattr(node, "key", str(node))))
        parts = [self._rank(a, to_key) for a in node.args]

        def order(category: str) -> int:
            return self.severity.get(category, len(self.severity))

        return min(parts, key=order) if isinstance(node, OR) else max(parts, key=order)

    def is_non_commercial(self, key: str) -> bool:
        return any(fnmatch.fnmatchcase(key, p) for p in self.non_commercial_patterns)

    def is_unknown(self, key: str) -> bool:
        return key not in self.by_key or any(fnmatch.fnmatchcase(key, p) for p in self.unknown_patterns)

    def keys_in(self, scancode_expression: str) -> list[str]:
        try:
            return sorted(_KEY_LICENSING.license_keys(scancode_expression))
        except Exception:
            return []

    def key_for_spdx(self, spdx_id: str) -> str | None:
        key = self.key_by_spdx.get(spdx_id.lower())
        if key is None and spdx_id.lower().startswith("licenseref-scancode-"):
            key = spdx_id[len("licenseref-scancode-") :].lower()
        return key


@cache
def license_db() -> LicenseDB:
    return LicenseDB(load_facts(), load_yaml("license_categories.yaml"))


@cache
def licence_text(spdx_id: str) -> str | None:
    """A licence's text in ScanCode's licence DB; None when it has none (unknown-* keys...)."""
    key = license_db().key_for_spdx(spdx_id)
    if key is None:
        return None
    from licensedcode.cache import get_licenses_db  # seconds to load: only when a text is needed

    licence = get_licenses_db().get(key)
    text = (licence.text or "").strip() if licence else ""
    return text or None
