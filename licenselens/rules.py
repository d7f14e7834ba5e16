"""Loads the editable data files in ``rules/`` (shipped inside the wheel)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where PyYAML was built with it: 10x faster


def rules_dir() -> Path:
    """``rules/``: in a checkout ``licenselens/_data/rules`` links to it; a wheel carries a copy."""
    return Path(str(resources.files("licenselens") / "_data" / "rules"))


@cache
def load_yaml(name: str) -> dict:
    with open(rules_dir() / name, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_LOADER)


def templates_dir() -> Path:
    """``templates/`` (jinja2), linked or copied like ``rules/``."""
    return Path(str(resources.files("licenselens") / "_data" / "templates"))
