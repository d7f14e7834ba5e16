"""Errors the commands end with, besides click's usage errors."""

from __future__ import annotations

import click


class ItemsFailed(click.ClickException):
    """Some input could not be processed (exit 2, like a run with bad input items); the rest was kept."""

    exit_code = 2


class EnvironmentProblem(click.ClickException):
    """The installation cannot run the command (e.g. another scancode-toolkit than the pinned one)."""

    exit_code = 2
