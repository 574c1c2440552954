"""The `demarc` command line's exit codes, and the one place errors become them.

Every command returns one of the codes below (README, "Exit codes"). A command that cannot
start (a bad argument, a missing or broken registry, an unusable database URL, an unknown id)
raises `UsageError`, and `run` prints its one line; no input ever prints a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import NoReturn, TypeAlias

from bot.settings import debug, redact_url

EXIT_OK = 0  # valid, on time, found, nothing blocked
EXIT_PROBLEMS = 1  # the command's finding: registry errors, late data, drift, a blocked change
EXIT_CHECK_FAILED = 2  # a check could not run (a probe or a schema inspection failed)
EXIT_USAGE = 3  # usage or configuration: bad arguments, registry, database or id
EXIT_INTERNAL = 4  # a bug in demarc; DEMARC_DEBUG=1 shows the traceback


class UsageError(Exception):
    """The command cannot run as asked; the message is the one line the user reads."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with demarc's exit code for usage errors, and one line instead of the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


# What `add_subparsers()` returns: each command group adds its commands to it.
Subcommands: TypeAlias = "argparse._SubParsersAction[ArgumentParser]"


def unknown_ids(asked: Iterable[str], known: Iterable[str], what: str) -> None:
    """Raise UsageError naming every id in `asked` that is not in `known`."""
    known = sorted(known)
    missing = sorted(set(asked) - set(known))
    if missing:
        hints = "".join(did_you_mean(m, known) for m in missing[:1])
        raise UsageError(f"unknown {what}(s): {', '.join(missing)}{hints}")


def database_error(exc: Exception, url: str) -> UsageError:
    """One line for a database that cannot be used; the URL's password never shows."""
    from sqlalchemy.engine import make_url  # lazy: validate/whoowns never import SQLAlchemy

    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    text = detail[0] if detail else type(exc).__name__
    try:
        password = make_url(url).password
    except Exception:  # an unparsable URL: redact_url's pattern is all there is
        password = None
    if password:
        text = text.replace(str(password), "***")
    return UsageError(f"cannot use database {redact_url(url)}: {text[:300]}")


def run(prog: str, command: str, func: Callable[[], int]) -> int:
    """`func()`'s exit code; every error it raises becomes one line on stderr and a code."""
    try:
        return func()
    except UsageError as exc:
        print(f"{prog}{command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if _is_database_error(exc):  # a command that did not wrap its database errors
            print(f"{prog}{command}: error: database error: {_one_line(exc)}", file=sys.stderr)
            return EXIT_USAGE
        if debug():
            raise
        print(
            f"{prog}{command}: internal error: {type(exc).__name__}: {_one_line(exc)} "
            "(a bug in demarc; DEMARC_DEBUG=1 shows where)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _is_database_error(exc: Exception) -> bool:
    """Whether `exc` is SQLAlchemy's; without importing it (~0.3 s) for commands that never did."""
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    return sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.SQLAlchemyError)


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return redact_url(lines[0][:300]) if lines else type(exc).__name__


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Database errors inside the block become one UsageError line (exit 3)."""
    from sqlalchemy.exc import SQLAlchemyError  # lazy: only the database commands use this

    try:
        yield
    except (SQLAlchemyError, ImportError) as exc:  # ImportError: the URL's driver is missing
        raise database_error(exc, url) from exc
