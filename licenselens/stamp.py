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


def tool_stamp(scancode_index: bool = True) -> ToolStamp:
    """``{"name", "version"[, "scancode_index"]}``: what produced a result, written into every output."""
    stamp: ToolStamp = {"name": TOOL_NAME, "version": tool_version()}
    if scancode_index:
        from licenselens.scancode.licensedb import index_version

        stamp["scancode_index"] = index_version()
    return stamp
