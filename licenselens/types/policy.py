"""Licence policies and what they find (the policy layer)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """A policy's judgement, in increasing severity."""

    ALLOW = "allow"
    REVIEW = "review"
    DENY = "deny"


VERDICTS: tuple[str, ...] = tuple(v.value for v in Verdict)  # in increasing severity


@dataclass(frozen=True)
class RuleMatch:
    """What a policy rule applies to; every set field must hold."""

    licenses: tuple[str, ...] = ()  # SPDX ids or "ID WITH EXCEPTION", case-insensitive
    categories: tuple[str, ...] = ()
    unknown: bool | None = None
    non_commercial: bool | None = None
    missing: bool | None = None
    tdm_opt_out: bool | None = None
    personal_information: bool | None = None
    overlap_verdicts: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicyRule:
    id: str
    match: RuleMatch
    verdict: str
    message: str = ""
    obligation: str | None = None


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    default: str
    rules: tuple[PolicyRule, ...]
    source: str = ""


@dataclass(frozen=True)
class PolicyFinding:
    path: str
    verdict: str
    rule: str | None
    message: str
    obligation: str | None
    license_expression_spdx: str | None
    detector: str | None
    start_line: int
    end_line: int
    fingerprint: str
    status: str = "new"  # "new" | "baseline" (accepted) | "ignored" (pragma)


@dataclass(frozen=True)
class PolicyReport:
    policy: str
    findings: tuple[PolicyFinding, ...]

    @property
    def failing(self) -> tuple[PolicyFinding, ...]:
        return tuple(f for f in self.findings if f.verdict == Verdict.DENY and f.status == "new")
