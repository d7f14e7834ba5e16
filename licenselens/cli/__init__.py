"""The command line: one module per command, thin over the pipelines; shared option groups in cli.options."""

from __future__ import annotations

import click

from licenselens.cli.audit import audit_command
from licenselens.cli.check import check_command
from licenselens.cli.clean import clean_command
from licenselens.cli.corpus import corpus_command
from licenselens.cli.errors import EnvironmentProblem
from licenselens.cli.index import index_group
from licenselens.cli.overlap import overlap_command
from licenselens.cli.report import report_command
from licenselens.cli.scan import scan_command
from licenselens.cli.trace import trace_command
from licenselens.scancode.patches import ScancodeVersionError
from licenselens.stamp import DISTRIBUTION, TOOL_NAME


class _Commands(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ScancodeVersionError as exc:  # an installation problem, said as such, not a traceback
            raise EnvironmentProblem(str(exc)) from exc


@click.group(cls=_Commands)
@click.version_option(package_name=DISTRIBUTION, prog_name=TOOL_NAME)
def main() -> None:
    """licenselens: licence and copyright evidence for repositories and training corpora."""


COMMANDS = (
    scan_command,
    check_command,
    corpus_command,
    index_group,
    overlap_command,
    audit_command,
    report_command,
    clean_command,
    trace_command,
)
for command in COMMANDS:
    main.add_command(command)
