"""Project configuration: ``licenselens.toml`` or ``[tool.licenselens]`` in pyproject.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class ProjectConfig:
    policy: str = "default"
    exclude: tuple[str, ...] = ()
    max_file_size: int | None = None
    timeout: float | None = None
    max_memory: int | None = None  # MiB
    baseline: str | None = None
    source: str | None = None


FIELDS: dict[str, type | tuple[type, ...]] = {
    "policy": str,
    "exclude": list,
    "max_file_size": int,
    "timeout": (int, float),
    "max_memory": int,
    "baseline": str,
}
# the dataset manifest's tables in the same file (read by sources.manifest)
MANIFEST_TABLES = ("datasets", "outputs", "model", "processing")
PYPROJECT_PREFIX = "tool.licenselens."


@dataclass(frozen=True)
class ProjectTable:
    """The licenselens table of a project file: ``licenselens.toml``, or ``[tool.licenselens]`` of pyproject.toml."""

    table: dict | None  # None: a pyproject.toml without the table
    source: str  # for messages: the file, and the table when it is pyproject's
    text: str  # the file's text, for locating fields in messages
    prefix: str  # how the table's keys are spelled in the file ("tool.licenselens." in pyproject.toml)


def read_project_table(path: str | Path) -> ProjectTable:
    """The one reader of licenselens's TOML tables, for the scan configuration here and the dataset manifest."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        table = tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except RecursionError as exc:  # tomllib recurses once per nesting level
        raise ConfigError(f"{path}: invalid TOML: arrays or tables nested too deeply") from exc
    if path.name == "pyproject.toml":
        tool = table.get("tool")
        own = tool.get("licenselens") if isinstance(tool, dict) else None
        return ProjectTable(own, f"{path} [tool.licenselens]", text, PYPROJECT_PREFIX)
    return ProjectTable(table, str(path), text, "")


def load_project_config(directory: str | Path = ".") -> ProjectConfig:
    directory = Path(directory)
    for candidate in (directory / "licenselens.toml", directory / "pyproject.toml"):
        if candidate.is_file():
            found = read_project_table(candidate)
            return ProjectConfig() if found.table is None else parse_config(found.table, found.source)
    return ProjectConfig()


def parse_config(table, source: str) -> ProjectConfig:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: must be a table")
    values = {}
    for key, raw in table.items():
        value: Any = raw
        if key in MANIFEST_TABLES:
            continue  # the dataset manifest shares this table
        expected = FIELDS.get(key)
        if expected is None:
            raise ConfigError(f"{source}: unknown key {key!r} (known: {', '.join(FIELDS)})")
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(f"{source}: {key} must be {getattr(expected, '__name__', 'a number')}, got {value!r}")
        if key == "exclude":
            if not all(isinstance(v, str) for v in cast(list, value)):
                raise ConfigError(f"{source}: exclude must be a list of strings")
            value = tuple(cast(list, value))
        if key in ("max_file_size", "timeout", "max_memory") and value <= 0:
            raise ConfigError(f"{source}: {key} must be positive")
        values[key] = value
    return ProjectConfig(source=source, **values)
