"""The one source of the tool's name and version, as results and caches record them."""

from __future__ import annotations

from functools import cache
from importlib.metadata import version

from licenselens.types.audit import ToolStamp

TOOL_NAME = "licenselens"  # the import package and the command
DISTRIBUTION = "licenselens-compliance"  # the name on PyPI ("licenselens" there is an unrelated project)


@cache
def tool_version() -> str:
    return version(DISTRIBUTION)


def tool_stamp(scancode_index: str | None = None) -> ToolStamp:
    """``{"name", "version"[, "scancode_index"]}``: what produced a result, written into every output
    (``scancode_index``: ``scancode.licensedb.index_version()`` where ScanCode's index made the result)."""
    stamp: ToolStamp = {"name": TOOL_NAME, "version": tool_version()}
    if scancode_index:
        stamp["scancode_index"] = scancode_index
    return stamp
