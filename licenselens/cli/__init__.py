"""The command line: one module per command, thin over the pipelines; shared option groups in cli.options.

Commands are imported when they run (or when help lists them): a pre-commit ``check`` must not pay for
the imports of ``audit`` (datasketch, scipy, the SBOM libraries: two seconds of a commit)."""

from __future__ import annotations

import importlib

import click

from licenselens.cli.errors import EnvironmentProblem
from licenselens.stamp import DISTRIBUTION, TOOL_NAME

# name -> "module:attribute" of the click command, in the order help lists them
COMMANDS = {
    "scan": "licenselens.cli.scan:scan_command",
    "check": "licenselens.cli.check:check_command",
    "corpus": "licenselens.cli.corpus:corpus_command",
    "index": "licenselens.cli.index:index_group",
    "overlap": "licenselens.cli.overlap:overlap_command",
    "audit": "licenselens.cli.audit:audit_command",
    "report": "licenselens.cli.report:report_command",
    "clean": "licenselens.cli.clean:clean_command",
    "trace": "licenselens.cli.trace:trace_command",
    "serve": "licenselens.cli.serve:serve_command",
}


class _Commands(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert command.name == cmd_name, (cmd_name, command.name)
        return command

    def invoke(self, ctx: click.Context):
        from licenselens.scancode.patches import ScancodeVersionError

        try:
            return super().invoke(ctx)
        except ScancodeVersionError as exc:  # an installation problem, said as such, not a traceback
            raise EnvironmentProblem(str(exc)) from exc


@click.group(cls=_Commands)
@click.version_option(package_name=DISTRIBUTION, prog_name=TOOL_NAME)
def main() -> None:
    """licenselens: licence and copyright evidence for repositories and training corpora."""
