"""What every ``funnel`` command shares: its errors, its writing to standard output,
argument types, number formats, the scenario with its command-line variants, and the
``--out`` folder check.

Command modules (``sim.presentation.commands.*``) each add their sub-commands with
``register(subparsers)``, setting ``handler`` to the function that runs the command; the
handler returns the exit status and raises :class:`UsageError` or
:class:`~sim.scenario.errors.ScenarioError` for bad input, which ``funnel`` reports as
``error: ...`` with exit status 2 and no traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import os
import secrets
import sys
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

from sim.presentation.i18n import LANGUAGES, text
from sim.rules.dates import last_date
from sim.scenario.schema import POLICY_NAMES, Scenario
from sim.scenario.shipped import DEFAULT, open_scenario
from sim.scenario.variants import policy_changes, vary

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a Ctrl-C
RUN_POLICIES = tuple(p for p in POLICY_NAMES if p != "custom")
SCENARIO_HELP = f"scenario TOML file, or a shipped scenario's name (default: {DEFAULT})"


class UsageError(Exception):
    """A bad command-line value."""


class OutputError(Exception):
    """Standard output could not be written (a full disk, a closed file)."""



def whole_number(text: str, low: int, high: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise argparse.ArgumentTypeError(
            f"value {text!r} is not allowed: {what} must be a whole number from {low} to {high}")
    return value


def replications_arg(text: str) -> int:
    return whole_number(text, 2, 10_000, "replications")


def workers_arg(text: str) -> int:
    return whole_number(text, 1, 256, "workers")


def seed_arg(text: str) -> int:
    """``--seed``: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 0:
        raise argparse.ArgumentTypeError(
            f"value {text!r} is not allowed: must be a whole number, 0 or more")
    return value


def days_arg(text: str) -> float:
    """``--days``: a finite number of days in (0, 3650]."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= 3650):
        raise argparse.ArgumentTypeError(
            f"value {text!r} is not allowed: must be a number of days above 0 and at most 3650")
    return value



def say(text: str = "") -> None:
    """Print a line of the command's output; a failed write raises :class:`OutputError`
    (a reader that left raises ``BrokenPipeError``, which ends the command quietly)."""
    with writing_stdout():
        print(text)


def flush_stdout() -> None:
    """Flush what is still buffered, so that a failure to write it is reported here and
    not as a traceback at exit."""
    if sys.stdout is not None:
        with writing_stdout():
            sys.stdout.flush()


@contextlib.contextmanager
def writing_stdout() -> Iterator[None]:
    """Turn a failure to write standard output into an :class:`OutputError`; a broken
    pipe stays what it is."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(os_reason(exc)) from None


def silence_stdout() -> None:
    """Point standard output at the null device, so that the data still buffered for a
    reader that left or a full disk is not written again (with a traceback) at exit."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (e.g. under a test)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until exit
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)



def load_for_run(args) -> tuple[Scenario, str]:
    """The scenario named on the command line with ``--seed``, ``--days`` and ``--policy``
    applied, and its source for messages.

    Each option makes its variant with :func:`vary` in turn, so a rule it breaks is
    reported as ``--days: field: value ...: rule``.
    """
    sc, source = open_scenario(args.scenario)
    options = [("--seed", {"seed": args.seed} if args.seed is not None else {}),
               ("--days", {"horizon_days": args.days} if args.days is not None else {})]
    if getattr(args, "policy", None) is not None:
        options.append(("--policy", policy_changes(sc, args.policy)))
    for option, changes in options:
        if changes:
            sc = vary(sc, changes, source=option)
    return sc, source



def add_lang_option(parser, what: str, default: str = "the scenario's `language`") -> None:
    """Add ``--lang en|zh``, the language of ``what`` (a page, a figure, the printed text),
    ``default`` when it is left out."""
    parser.add_argument("--lang", choices=LANGUAGES,
                        help=f"language of {what} (English or Chinese); {default} by default")


def in_language(sc: Scenario, lang: str | None) -> Scenario:
    """``sc`` speaking ``--lang`` (its ``language``; the run is the same), or ``sc`` as it
    is when the option was left out."""
    return sc if lang is None else vary(sc, {"language": lang}, source="--lang")


def results_period(sc: Scenario) -> str:
    """``60-day results period (2026-01-01 to 2026-03-01)``, in the language of the
    enclosing :func:`sim.presentation.i18n.using` block."""
    return text("{days}-day results period ({start} to {end})", days=f"{sc.horizon_days:g}",
                start=sc.start_date, end=last_date(sc))


def fmt_money(x) -> str:
    return text("n/a") if x != x else f"{x:,.0f}"


def fmt_pct(x, sign: bool = True) -> str:
    """A value already in percent."""
    if x != x:
        return text("n/a")
    return f"{x:+.1f}%" if sign else f"{x:.1f}%"


def fit(value, width: int, align: str = "<") -> str:
    """``value`` padded to ``width`` columns of a terminal, where a Chinese character
    takes two (``align``: ``<`` left, ``>`` right).

    >>> fit("承诺", 6) + "|"
    '承诺  |'
    """
    shown = str(value)
    pad = " " * max(width - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1
                                for c in shown), 0)
    return shown + pad if align == "<" else pad + shown


def fmt_number(x) -> str:
    if x is None:
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3f}"



def os_reason(exc: OSError) -> str:
    """An OSError's words without the errno and path Python adds."""
    return exc.strerror or str(exc)



def check_out_dir(out: str) -> Path:
    """Refuse, before the run, an --out that is a file, a directory with files in it, or
    a place where nothing can be written (a read-only folder or disk, a path through a
    file): a folder is made and removed there to be sure."""
    if not out:
        raise UsageError("--out: value '' is not allowed: give a directory name")
    path = Path(out)
    if path.is_symlink() and not path.exists():
        raise UsageError(f"--out: {out} is a broken symbolic link; nothing was written")
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out: {out} is a file, not a directory; nothing was written")
    if path.is_dir():
        try:
            if any(path.iterdir()):
                raise UsageError(f"--out: directory {out} is not empty; choose a new one so "
                                 "nothing you have is overwritten")
        except PermissionError:
            raise UsageError(f"--out: directory {out} cannot be read (permission "
                             "denied)") from None
        try_writing_in(path, f"--out: cannot write in directory {out}")
        return path
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"--out: {out} cannot be created: {parent} is a file, not a "
                         "directory; nothing was written")
    try_writing_in(parent, f"--out: {out} cannot be created in {parent}")
    return path


def write_out(out: Path, write: Callable[[], list[Path]], quiet: bool = False) -> list[Path]:
    """Write a command's ``--out`` folder with ``write()`` (all or nothing), and say how many
    files went where unless ``quiet``; a folder that cannot be written after all (it changed,
    or the disk filled up, while the command ran) is a :class:`UsageError`."""
    flush_stdout()  # what the command printed comes before the files are written
    try:
        written = write()
    except OSError as exc:
        raise UsageError(f"--out: {out} could not be written: {os_reason(exc)}; nothing "
                         "was written") from None
    if not quiet:
        say(f"\nwrote {len(written)} files to {out}")
    return written


def try_writing_in(folder: Path, what: str) -> None:
    """Make and remove an empty folder in ``folder``; raise a :class:`UsageError` that
    starts with ``what`` if that is not possible."""
    probe = folder / f".funnel-probe-{secrets.token_hex(4)}"
    try:
        probe.mkdir()
    except OSError as exc:
        reason = os_reason(exc)
        if exc.errno == errno.ENOENT:  # e.g. /proc: the folder takes no new names
            reason = "the folder does not take new files"
        raise UsageError(f"{what}: {reason}; nothing was written") from None
    probe.rmdir()


def jsonable(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


