# SPDX-License-Identifier: MIT OR Apache-2.0
# Copyright (c) 2024 Example Lens Authors
"""Helpers for combining two thin lenses into one effective lens."""

from .geometry import focal_length


def combined_focal_length(f1: float, f2: float, separation: float = 0.0) -> float:
    """Effective focal length of two thin lenses separated by `separation`."""
    power = 1.0 / f1 + 1.0 / f2 - separation / (f1 * f2)
    if power == 0:
        raise ValueError("afocal system has no finite focal length")
    return 1.0 / power


def doublet(f1: float, f2: float) -> float:
    """Focal length of two lenses in contact."""
    return combined_focal_length(f1, f2)


__all__ = ["combined_focal_length", "doublet", "focal_length"]
