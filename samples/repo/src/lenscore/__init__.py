# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2024 Example Lens Authors
"""lenscore: thin-lens optics helpers."""

from .geometry import focal_length, magnification

__all__ = ["focal_length", "magnification", "__version__"]
__version__ = "0.3.1"
