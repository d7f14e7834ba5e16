"""The patch table is true: installing replaces exactly the listed ScanCode functions, each listed test
exists, and another scancode-toolkit version is refused before anything is replaced."""

import importlib
from pathlib import Path

import pytest

from licenselens.scancode import patches
from licenselens.scancode.patches import PATCHES, PINNED_SCANCODE, ScancodeVersionError

REPO = Path(__file__).resolve().parents[3]


def resolve(target: str):
    module, attribute = target.split(":")
    owner = importlib.import_module(module)
    *path, name = attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)


def test_install_replaces_each_listed_function_and_uninstall_restores_it():
    patches.uninstall()
    originals = {p.target: resolve(p.target) for p in PATCHES}
    try:
        patches.install()
        replaced = {p.target: resolve(p.target) for p in PATCHES}
        assert [t for t in originals if replaced[t] is originals[t]] == []
        for patch in PATCHES:  # the replacement comes from the module the table names
            value = replaced[patch.target]
            if hasattr(value, "cache_info"):  # a memo of ScanCode's own function
                assert value.__wrapped__ is originals[patch.target], patch.target
                continue
            assert getattr(value, "fget", value).__module__ == patch.module, patch.target
        patches.uninstall()
        assert {p.target: resolve(p.target) for p in PATCHES} == originals
    finally:
        patches.install()


def test_every_listed_test_exists_and_the_docstring_table_lists_every_patch():
    for patch in PATCHES:
        assert (REPO / patch.test).is_file(), patch.test
        assert patch.target.replace(":", ".").split("scancode-toolkit")[0].rsplit(".", 1)[-1] in patches.__doc__


def test_another_scancode_version_is_refused_with_the_pinned_one_named():
    with pytest.raises(ScancodeVersionError, match=rf"needs scancode-toolkit {PINNED_SCANCODE}.*found 32\.6\.0"):
        patches.check_version("32.6.0")
    patches.check_version(PINNED_SCANCODE)
