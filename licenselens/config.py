"""Project configuration: ``licenselens.toml`` or ``[tool.licenselens]`` in pyproject.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


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


FIELDS = {"policy": str, "exclude": list, "max_file_size": int, "timeout": (int, float), "max_memory": int,
          "baseline": str}


def load_project_config(directory: str | Path = ".") -> ProjectConfig:
    directory = Path(directory)
    own = directory / "licenselens.toml"
    pyproject = directory / "pyproject.toml"
    if own.is_file():
        table, source = _read(own), str(own)
    elif pyproject.is_file():
        table, source = _read(pyproject).get("tool", {}).get("licenselens"), f"{pyproject} [tool.licenselens]"
        if table is None:
            return ProjectConfig()
    else:
        return ProjectConfig()
    return parse_config(table, source)


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: invalid TOML: arrays or tables nested too deeply") from exc


def parse_config(table, source: str) -> ProjectConfig:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: must be a table")
    values = {}
    for key, value in table.items():
        if key in ("datasets", "outputs", "model", "processing"):
            continue  # the dataset manifest shares this table
        expected = FIELDS.get(key)
        if expected is None:
            raise ConfigError(f"{source}: unknown key {key!r} (known: {', '.join(FIELDS)})")
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(f"{source}: {key} must be {getattr(expected, '__name__', 'a number')}, got {value!r}")
        if key == "exclude":
            if not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{source}: exclude must be a list of strings")
            value = tuple(value)
        if key in ("max_file_size", "timeout", "max_memory") and value <= 0:
            raise ConfigError(f"{source}: {key} must be positive")
        values[key] = value
    return ProjectConfig(source=source, **values)
