# Copyright (c) 2025 Acme Corp. All rights reserved.
#
# This file is proprietary and confidential.
# Unauthorized copying of this file, via any medium, is strictly prohibited.
"""Acme's in-house aberration correction coefficients."""

_COEFFICIENTS = (0.9981, -0.0123, 0.00041)


def correct(radius: float) -> float:
    """Apply Acme's polynomial distortion correction to a radial distance."""
    a, b, c = _COEFFICIENTS
    return radius * (a + b * radius**2 + c * radius**4)
