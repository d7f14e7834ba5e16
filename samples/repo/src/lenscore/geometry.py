"""Thin-lens geometry helpers."""

from __future__ import annotations

import math


def focal_length(object_distance: float, image_distance: float) -> float:
    """Return the focal length from the thin-lens equation 1/f = 1/o + 1/i."""
    if object_distance == 0 or image_distance == 0:
        raise ValueError("distances must be non-zero")
    return 1.0 / (1.0 / object_distance + 1.0 / image_distance)


def image_distance(focal: float, object_distance: float) -> float:
    """Return the image distance for a lens of the given focal length."""
    denom = 1.0 / focal - 1.0 / object_distance
    if denom == 0:
        return math.inf
    return 1.0 / denom


def magnification(object_distance: float, image_distance: float) -> float:
    """Return the lateral magnification -i/o."""
    return -image_distance / object_distance


def ray_angle(height: float, distance: float) -> float:
    """Return the angle in degrees of a ray reaching `height` at `distance`."""
    return math.degrees(math.atan2(height, distance))
