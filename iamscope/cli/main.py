"""The ``iamscope`` command group. Only the CLI prints, reads the environment or exits.

Exit codes (README.md, "Exit codes"):
  0   done; for audit and check, nothing unsuppressed at or above --fail-on
  1   done, and the result is a failure: an expectation in the input was not met, or a
      finding at or above --fail-on (audit, check)
  2   usage or input error (bad flags, unreadable or malformed files)
  70  internal error (a bug in iamscope: please report it)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from iamscope.errors import IamscopeError
from iamscope.report.terminal import sanitize

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 70

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn iamscope errors into a clear message and exit code 2, and unexpected ones into
    exit code 70 without a traceback (set IAMSCOPE_DEBUG=1 to see it)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except IamscopeError as exc:
            click.echo(f"error: {sanitize(str(exc), keep_newlines=True)}", err=True)
            sys.exit(EXIT_INPUT)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:  # output piped into `head` and closed: not an error
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(EXIT_OK)
        except Exception as exc:  # the last line of defence: never show a raw traceback
            if os.environ.get("IAMSCOPE_DEBUG"):
                raise
            click.echo(
                f"internal error: {type(exc).__name__}: {sanitize(str(exc))}\n"
                "This is a bug in iamscope; please report it (set IAMSCOPE_DEBUG=1 for a "
                "traceback).",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="iamscope")
def cli() -> None:
    """iamscope: find over-permissive cloud access and propose least-privilege fixes."""


def _register() -> None:
    from iamscope.cli.audit import audit
    from iamscope.cli.check import check
    from iamscope.cli.collect import collect, permissions
    from iamscope.cli.demo import demo
    from iamscope.cli.graph import graph, paths
    from iamscope.cli.minimize import minimize, unused
    from iamscope.cli.reach import blast_radius, reach, who_can
    from iamscope.cli.simulate import simulate
    from iamscope.cli.usage import usage

    cli.add_command(simulate)
    cli.add_command(collect)
    cli.add_command(permissions)
    cli.add_command(demo)
    cli.add_command(audit)
    cli.add_command(reach)
    cli.add_command(blast_radius)
    cli.add_command(who_can)
    cli.add_command(paths)
    cli.add_command(graph)
    cli.add_command(minimize)
    cli.add_command(unused)
    cli.add_command(usage)
    cli.add_command(check)


def main() -> None:
    _register()
    cli(prog_name="iamscope")
