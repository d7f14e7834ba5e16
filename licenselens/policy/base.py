"""What a policy judges: one subject (a licence detection, a file without one, a document signal)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subject:
    """The facts a policy rule can test. Fields that do not apply stay None."""

    license_expression_spdx: str | None = None
    missing_license: bool = False
    tdm_opt_out: bool | None = None
    personal_information: bool | None = None
    overlap_verdict: str | None = None
