"""Errors the commands end with, besides click's usage errors."""

from __future__ import annotations

import click

from licenselens.privacy import redact


class ItemsFailed(click.ClickException):
    """Some input could not be processed (exit 2, like a run with bad input items); the rest was kept."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))  # it may name a document or a path


class InputError(click.UsageError):
    """A pipeline refused its input (a manifest, a policy, an index): the message, personal data masked."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


class EnvironmentProblem(click.ClickException):
    """The installation cannot run the command (e.g. another scancode-toolkit than the pinned one)."""

    exit_code = 2
