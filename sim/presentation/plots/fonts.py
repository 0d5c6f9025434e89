"""Fonts for Chinese (or any CJK) stage names, and the one warning when there is none.

Stage names may be Chinese, Japanese or Korean text. :data:`FONTS` finds an installed
CJK font once per process and adds it to matplotlib's font fallback list. When labels
contain CJK characters and no CJK font is installed, one :class:`FontWarning` per
process says what to install, instead of one matplotlib warning per missing glyph:
those are kept out of sight while our figures draw (:func:`missing_glyphs_quiet`),
and only then, so nobody else's warnings are filtered.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib import font_manager

CJK_FONT_PACKAGES = ("fonts-noto-cjk", "fonts-wqy-zenhei")
"""Debian/Ubuntu packages with a CJK font, either of which is enough."""

_CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans CJK KR",
    "Noto Sans CJK HK", "Noto Sans SC", "Noto Sans TC", "Source Han Sans SC",
    "Source Han Sans CN", "Source Han Sans", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Droid Sans Fallback", "AR PL UMing CN", "AR PL UKai CN", "AR PL New Sung",
    "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "Heiti SC",
    "Noto Serif CJK SC", "Source Han Serif SC", "Arial Unicode MS",
)
"""CJK families, most preferred first (sans-serif before serif)."""
_CJK_NAME_HINTS = ("cjk", "wenquanyi", "source han", "ar pl ", "droid sans fallback")
_CJK_FILE_HINTS = ("cjk", "wqy", "wenquanyi", "sourcehan", "source-han", "uming", "ukai",
                   "droidsansfallback", "simhei", "msyh", "pingfang", "hiragino",
                   "gkai00mp", "gbsn00lp")

_CJK_CHARS = re.compile(
    "[\u2e80-\u2fdf\u3000-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f"
    "\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]")

GLYPH_WARNING = r"Glyph \d+ .*missing from font"
"""The message of matplotlib's warning about one missing glyph (a regular expression)."""

_PACKAGE = Path(__file__).resolve().parent
"""The folder of :mod:`sim.presentation.plots`: warnings point at the first caller
outside it."""


class FontWarning(UserWarning):
    """Labels have CJK characters (e.g. Chinese stage names) but no CJK font is installed."""


def has_cjk(*texts: str) -> bool:
    """Whether any of ``texts`` contains Chinese, Japanese or Korean characters."""
    return any(_CJK_CHARS.search(t or "") for t in texts)


def _is_cjk_name(name: str) -> bool:
    low = name.lower()
    return name in _CJK_FAMILIES or any(h in low for h in _CJK_NAME_HINTS)


def _installed_cjk_families() -> list[str]:
    names = {f.name for f in font_manager.fontManager.ttflist}
    known = [n for n in _CJK_FAMILIES if n in names]
    return known + sorted(n for n in names if _is_cjk_name(n) and n not in known)


def find_cjk_font() -> str | None:
    """The best installed CJK font family, or None.

    Matplotlib caches its font list once; a font installed after that (e.g. by
    ``apt-get install fonts-noto-cjk``) is found by scanning the system's font files
    and added to the font manager.
    """
    found = _installed_cjk_families()
    if not found:
        known = {f.fname for f in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            name = Path(path).name.lower()
            if path not in known and any(h in name for h in _CJK_FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # unreadable font file
                    continue
        found = _installed_cjk_families()
    return found[0] if found else None


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside this package."""
    frame, level = sys._getframe(1), 1
    while frame is not None and Path(frame.f_code.co_filename).resolve().parent == _PACKAGE:
        frame, level = frame.f_back, level + 1
    return level


class _NotSearched:
    """The font search has not run yet (None means it ran and found nothing)."""

    def __repr__(self) -> str:
        return "NOT_SEARCHED"


NOT_SEARCHED = _NotSearched()


@dataclass
class FontSetup:
    """The CJK font our figures use, found once, and whether the FontWarning was given.

    Attributes
    ----------
    find : callable
        Returns the CJK font family to use, or None (default :func:`find_cjk_font`).
    family : str, None or NOT_SEARCHED
        The family found by :meth:`setup`; None when none is installed.
    warned : bool
        The FontWarning has been given (once per process).
    """

    find: Callable[[], str | None] = find_cjk_font
    family: str | None | _NotSearched = NOT_SEARCHED
    warned: bool = False

    def setup(self) -> str | None:
        """Make CJK text render: add an installed CJK font to matplotlib's font fallback.

        The font is added to ``rcParams["font.sans-serif"]`` (after DejaVu Sans) and
        appended to ``rcParams["font.family"]``, along which matplotlib falls back glyph
        by glyph: Latin text keeps the first font (DejaVu Sans by default), and the
        glyphs it lacks come from the CJK font. Idempotent and cheap after the first
        call (the search runs once; the rcParams entries are re-added if something
        reset them).

        Returns
        -------
        str or None
            The CJK font family used, or None when none is installed.
        """
        if self.family is NOT_SEARCHED:
            self.family = self.find()
            if self.family is not None:
                # the font is in rcParams for every figure of the process, ours or not
                logging.getLogger("matplotlib.font_manager").addFilter(
                    self._quiet_weight_substitution)
        name = self.family
        if name is not None:
            sans = list(matplotlib.rcParams["font.sans-serif"])
            if name not in sans:
                sans.insert(1 if sans and sans[0] == "DejaVu Sans" else 0, name)
                matplotlib.rcParams["font.sans-serif"] = sans
            # matplotlib falls back glyph by glyph along font.family (not within a generic
            # family's list): the CJK font must be a family of its own after the first
            family = matplotlib.rcParams["font.family"]
            family = [family] if isinstance(family, str) else list(family)
            if name not in family:
                matplotlib.rcParams["font.family"] = [*family, name]
        return name

    def lacks_font(self, texts: Sequence[str]) -> bool:
        """Whether ``texts`` have CJK characters and the search found no CJK font."""
        return self.family is None and has_cjk(*texts)

    def check(self, texts: Sequence[str]) -> None:
        """Set up the fonts; give the FontWarning, once, when CJK ``texts`` have no font."""
        self.setup()
        if not self.lacks_font(texts) or self.warned:
            return
        self.warned = True
        warnings.warn(FontWarning(
            "Labels contain Chinese/Japanese/Korean characters but no CJK font is "
            "installed, so they will show as empty boxes. Install one, e.g. on Debian "
            f"or Ubuntu `apt-get install {CJK_FONT_PACKAGES[0]}` (or "
            f"{CJK_FONT_PACKAGES[1]}), or any Noto Sans CJK / Source Han Sans font, "
            "then restart Python."), stacklevel=_caller_stacklevel())

    def _quiet_weight_substitution(self, record: logging.LogRecord) -> bool:
        """Drop matplotlib's log line about the CJK fallback font's weight (e.g. WenQuanYi
        Zen Hei has only a medium weight): a cosmetic substitution the reader cannot act
        on."""
        message = record.getMessage()
        return not (message.startswith("findfont: Failed to find font weight")
                    and isinstance(self.family, str) and self.family in message)


FONTS = FontSetup()
"""The process's font setup: every classroom figure uses this one."""


def setup_fonts() -> str | None:
    """Add an installed CJK font to matplotlib's font fallback (:meth:`FontSetup.setup`
    of :data:`FONTS`); returns its family, or None when none is installed."""
    return FONTS.setup()


@contextlib.contextmanager
def missing_glyphs_quiet() -> Iterator[None]:
    """Within the block, matplotlib's per-glyph "missing from font" warnings are ignored;
    the warnings filters are as they were after it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=GLYPH_WARNING, category=UserWarning)
        yield
