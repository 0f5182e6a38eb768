"""The ``nngrad`` command line: the parser, built from the registered commands (:mod:`nngrad.commands`), and how
an error ends. Bad input: one line on stderr, exit status 2, no traceback."""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import re
import sys
import traceback

from .commands import COMMANDS
from .commands.options import add_import
from .errors import UserError
from .sweep.runner import SweepInterrupted


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("nngrad")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """``nngrad`` and a subcommand per registered command, each with its options."""
    parser = _Parser(prog="nngrad", description="The cost of a gradient of a dense network, every way there is: "
                     "check the gradients agree, time them, plot the gap. Exit status 2: bad input (one line); 3: an "
                     "internal error of nngrad (its traceback, to report); 130: interrupted.")
    parser.add_argument("--version", action="version", version=f"nngrad {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS.values():
        command.options(sub.add_parser(command.name, help=command.help, description=command.description))
    return parser


CANNOT_WRITE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}
NEGATIVE_NUMBER = re.compile(r"^-(\d|\.\d)")


def joined_negative_values(argv: list[str]) -> list[str]:
    """["--eps", "-1e-4"] -> ["--eps=-1e-4"]: argparse takes "-1e-4" for an option; joined, the value reaches the
    option's own check, which says what it expects."""
    out: list[str] = []
    for token in argv:
        if out and out[-1].startswith("--") and "=" not in out[-1] and NEGATIVE_NUMBER.match(token):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


ENTRY_POINTS = "nngrad.methods"  # installed packages that register methods name their module in this group


def import_user_methods(argv: list[str]) -> None:
    """Import what registers methods of one's own before the options are read (``--methods`` checks its names):
    every module of the ``nngrad.methods`` entry-point group, and each ``--import MODULE_OR_FILE``."""
    from importlib.metadata import entry_points

    from .user_code import import_methods

    for entry in entry_points(group=ENTRY_POINTS):
        import_methods(entry.value.partition(":")[0], f"the entry point {entry.name} ({ENTRY_POINTS})")
    pre = argparse.ArgumentParser(add_help=False)
    add_import(pre)
    for spec in pre.parse_known_args(argv)[0].imports or ():
        import_methods(spec)


READER_GONE = 128 + 13  # 141: the status a shell shows for a Unix tool stopped by SIGPIPE (yes | head -1)


def main(argv: list[str] | None = None) -> int:
    """Run ``nngrad ARGV``; returns the exit status. Output piped into a reader that stops early (``nngrad methods |
    head -1``) ends it quietly with READER_GONE, as Unix tools end."""
    try:
        status = _main(argv)
        sys.stdout.flush()  # what is still buffered meets a closed pipe here, not in Python's flush at exit
        return status
    except BrokenPipeError:
        if not output_closed():
            raise
        return reader_gone()


def output_closed() -> bool:
    """Has the reader of stdout or stderr gone away (a pipe whose other end is closed)? True where that cannot be
    told (no poll): a BrokenPipeError is then taken to be about the output."""
    import select

    if not hasattr(select, "poll"):
        return True
    for stream in (sys.stdout, sys.stderr):
        try:
            poll = select.poll()
            poll.register(stream.fileno(), select.POLLOUT)
        except (AttributeError, OSError, ValueError):  # not a file (a test's capture): not a closed pipe
            continue
        if any(events & (select.POLLERR | select.POLLHUP) for _, events in poll.poll(0)):
            return True
    return False


def reader_gone() -> int:
    """Stop quietly after the reader of the output went away: no traceback, no message (where would it go?); the
    closed outputs point at devnull so that Python's last flush finds nothing to complain about (the recipe of the
    Python docs, 'Note on SIGPIPE'). Returns READER_GONE: 141, as a shell reports ``yes | head -1``, so that a
    pipeline under ``set -o pipefail`` tells a cut-short listing from a complete one, as it does for cat or ls."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, OSError, ValueError):
            os.dup2(devnull, stream.fileno())
    os.close(devnull)
    return READER_GONE


def _main(argv: list[str] | None) -> int:
    argv = joined_negative_values(sys.argv[1:] if argv is None else argv)
    try:
        import_user_methods(argv)
    except UserError as exc:
        print(f"nngrad: error: {exc}", file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    command = COMMANDS[args.command]
    if command.settle is not None:
        command.settle(parser, args)
    try:
        return command.run(args)
    except (UserError, FloatingPointError, FileNotFoundError) as exc:  # the user's mistake (or their data's)
        print(f"nngrad {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError as exc:
        if output_closed():
            raise  # the reader of the output went away: main ends quietly
        return _internal(args.command, exc)
    except OSError as exc:
        if exc.errno not in CANNOT_WRITE:
            return _internal(args.command, exc)
        # a place that cannot be written (read-only, full, not ours): the user's to change
        print(f"nngrad {args.command}: error: cannot write {exc.filename or 'the output'}: {exc.strerror}; give "
              "--out a folder you can write to", file=sys.stderr)
        return 2
    except SweepInterrupted as exc:
        print(f"nngrad {args.command}: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print(f"nngrad {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - an error of nngrad's own: its traceback, and where to report it
        return _internal(args.command, exc)


def _internal(command: str, exc: BaseException) -> int:
    """An error of nngrad's own: its traceback, where to report it, exit status 3."""
    traceback.print_exception(exc)
    print(f"nngrad {command}: internal error (a bug in nngrad, not in your input): please report it with the "
          "traceback above", file=sys.stderr)
    return 3


if __name__ == "__main__":
    sys.exit(main())
