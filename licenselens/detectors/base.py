"""The detector interface: one file's content in, Findings out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

from licenselens.scancode.calls import DEFAULT_MEMORY_ALLOWANCE
from licenselens.types.findings import Findings


@dataclass
class Content:
    """One file as detectors see it. ``text`` is None for binary files."""

    location: str
    name: str
    text: str | None
    timeout: float
    memory_allowance: int = DEFAULT_MEMORY_ALLOWANCE  # bytes one ScanCode call may add (docs/limits.md)

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines() if self.text else []


class Detector(ABC):
    name: ClassVar[str]
    needs_index: ClassVar[bool] = False  # detect() loads ScanCode's licence index (seconds, once per process)

    @abstractmethod
    def wants(self, content: Content) -> bool:
        """Cheap test: can this detector find anything here? Must not load heavy indexes."""

    @abstractmethod
    def detect(self, content: Content) -> Findings:
        """Run the detection. Errors for this file go into ``Findings.errors``."""
