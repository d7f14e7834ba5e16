"""What a scan of files and trees may cost and what it runs (the scan pipeline's options)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from licenselens.detectors import DETECTORS
from licenselens.scancode.calls import DEFAULT_MEMORY_ALLOWANCE


@dataclass(frozen=True)
class ScanOptions:
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    max_file_size: int = 50 * 1024 * 1024
    timeout: float = 120.0
    max_memory: int = (
        DEFAULT_MEMORY_ALLOWANCE  # bytes one file's ScanCode analysis may add to a worker (docs/limits.md)
    )
    use_cache: bool = True
    cache_dir: str | None = None
    detectors: tuple[str, ...] = tuple(DETECTORS)
    exclude: tuple[str, ...] = ()  # gitignore-style patterns on result paths
    paths_as_given: bool = False  # result paths are the arguments' own (relative to cwd), as pre-commit wants
    warm_server: bool = False  # analyse in the warm server (scan/warm.py), started on demand
