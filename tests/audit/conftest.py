from __future__ import annotations

from tests.conftest import ARTIFACTS, FIXED_EPOCH, REPO, run_cli  # noqa: F401  (tests import them from here)
