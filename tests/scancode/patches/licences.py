"""ScanCode's licence results with and without replacements: what each patch's test compares."""

from __future__ import annotations

import json

from licenselens.scancode.patches.state import query_scope


def licences(files: list[str]) -> list[str]:
    """ScanCode's ``get_licenses`` of each file as sorted JSON (detection identifiers included), each call in
    its own scope, as ``call_scancode`` makes them."""
    from licensedcode.cache import get_index
    from scancode.api import get_licenses

    get_index()
    results = []
    for f in files:
        with query_scope():
            results.append(json.dumps(get_licenses(f), sort_keys=True, default=str))
    return results


def licences_without(modules: list, files: list[str]) -> list[str]:
    """``licences`` with the replacements of ``modules`` switched off (and back on afterwards)."""
    for module in modules:
        module.uninstall()
    try:
        return licences(files)
    finally:
        for module in modules:
            module.install()
