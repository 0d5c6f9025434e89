"""Fonts for Chinese, Japanese or Korean stage names, and the one warning when there is none.

Stage names may be CJK text. The project depends on :data:`CJK_FONT_PYPI`, a package
from PyPI that carries WenQuanYi Micro Hei (Chinese, Japanese kana, Korean Hangul), so
CJK labels render on any machine (Linux, Windows, macOS) with no system font, no apt
step and no download at run time. :data:`FONTS` registers that file with matplotlib
once per process and adds its family to matplotlib's font fallback list.

Which font: the packaged one first, on every machine, so a figure looks the same on a
trainer's laptop, a learner's and CI's, and no system font folder is scanned. An
installed system CJK font is looked for only when the packaged one cannot be loaded
(the package is missing, e.g. after ``pip install --no-deps``, or its file is
unreadable). Who prefers another font puts it in ``rcParams["font.family"]`` before
ours: matplotlib falls back glyph by glyph along that list, so the first font there
that has a glyph draws it.

When labels contain CJK characters and no CJK font at all can be loaded, one
:class:`FontWarning` per process says what to install, instead of one matplotlib
warning per missing glyph: those are kept out of sight while our figures draw
(:func:`missing_glyphs_quiet`), and only then, so nobody else's warnings are filtered.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import io
import logging
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont
from matplotlib import font_manager

CJK_FONT_PYPI = "paperang-p2-fonts-cjk"
"""The PyPI package, a dependency of the project, whose font our figures use: WenQuanYi
Micro Hei (Apache-2.0; a 2.3 MB wheel), with the Chinese, Japanese and Korean glyphs."""
_FONT_MODULE = "paperang_p2_fonts_cjk"
_FONT_FILE = ("fonts", "wqy-microhei.ttc")
"""The importable module of :data:`CJK_FONT_PYPI`, and its font file inside it."""

CJK_FONT_PACKAGES = ("fonts-noto-cjk", "fonts-wqy-zenhei")
"""Debian/Ubuntu packages with a CJK font, either of which is enough when the packaged
font cannot be loaded."""

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

CJK_RANGES = ((0x2E80, 0x2FDF), (0x3000, 0x30FF), (0x3100, 0x31FF), (0x3400, 0x4DBF),
              (0x4E00, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7AF), (0xF900, 0xFAFF),
              (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x3134F))
"""The code points counted as Chinese, Japanese or Korean (first and last of each block):
radicals, CJK punctuation, kana, bopomofo, the ideographs and their extensions, Hangul,
compatibility and full-width forms."""
_CJK_CHARS = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in CJK_RANGES) + "]")

GLYPH_WARNING = r"Glyph \d+ .*missing from font"
"""The message of matplotlib's warning about one missing glyph (a regular expression)."""

_PACKAGE = Path(__file__).resolve().parent
"""The folder of :mod:`sim.presentation.plots`: warnings point at the first caller
outside it."""


class FontWarning(UserWarning):
    """Labels have CJK characters (e.g. Chinese stage names) but no CJK font could be
    loaded: neither the packaged one nor an installed one."""


def has_cjk(*texts: str) -> bool:
    """Whether any of ``texts`` contains Chinese, Japanese or Korean characters."""
    return any(_CJK_CHARS.search(t or "") for t in texts)


def _is_cjk_name(name: str) -> bool:
    low = name.lower()
    return name in _CJK_FAMILIES or any(h in low for h in _CJK_NAME_HINTS)


def _installed_cjk_families() -> list[str]:
    """The CJK families of the system in matplotlib's font list, most preferred first
    (the packaged font's file is not the system's)."""
    ours = packaged_font_file()
    names = {f.name for f in font_manager.fontManager.ttflist
             if ours is None or f.fname != str(ours)}
    known = [n for n in _CJK_FAMILIES if n in names]
    return known + sorted(n for n in names if _is_cjk_name(n) and n not in known)


def packaged_font_file() -> Path | None:
    """The font file that :data:`CJK_FONT_PYPI` carries, found through
    :mod:`importlib.resources`; None when the package is not installed, or its file is
    not on the file system (e.g. inside a zip, where matplotlib could not open it)."""
    try:
        resource = importlib.resources.files(_FONT_MODULE).joinpath(*_FONT_FILE)
    except ImportError:  # not installed (or blocked)
        return None
    path = Path(str(resource))
    return path if path.is_file() else None


def write_web_font(path: str | Path) -> Path:
    """Write the packaged CJK font (:func:`packaged_font_file`) for a web page's
    ``@font-face``: its regular face as a TrueType file at ``path`` (parent folders are
    made; an existing file is replaced whole). Browsers do not read a font collection
    (``.ttc``), which is how the package ships it. ``make classroom`` serves this file to
    the lessons' pages, so their Chinese shows on a machine with no CJK font.

    Raises
    ------
    FileNotFoundError
        :data:`CJK_FONT_PYPI` is not installed (or its file is not on the file system).
    """
    source = packaged_font_file()
    if source is None:
        raise FileNotFoundError(f"no CJK font to serve: the package {CJK_FONT_PYPI} is not "
                                f"installed (pip install {CJK_FONT_PYPI})")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    with TTCollection(str(source)) as collection:
        collection.fonts[0].save(str(part))  # the regular face (the second is monospaced)
    part.replace(path)
    return path


def cjk_characters(*texts: str) -> str:
    """The distinct CJK characters of ``texts`` (:data:`CJK_RANGES`), in code point order.

    >>> cjk_characters("漏斗 Funnel", "漏斗，阶段")
    '斗段漏阶，'
    """
    return "".join(sorted({ch for t in texts for ch in _CJK_CHARS.findall(t or "")}))


def web_font_subset(characters: str) -> bytes | None:
    """The packaged CJK font's regular face cut down to ``characters`` (those it has), as
    TrueType bytes for a web page's ``@font-face``: glyph outlines and metrics only (no
    hinting, layout features or vertical metrics), so a page's few hundred characters
    weigh tens of kilobytes, not the whole font's megabytes. None when the package is
    not installed (:func:`packaged_font_file`)."""
    source = packaged_font_file()
    if source is None:
        return None
    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.name_IDs = [1, 2]  # family and style names: the page names its own family
    options.drop_tables += ["FFTM", "vhea", "vmtx"]  # FFTM: fontTools would log it dropped
    cutter = subset.Subsetter(options)
    cutter.populate(text=characters)
    with TTFont(str(source), fontNumber=0, lazy=True) as font:  # the regular face
        cutter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
    return buffer.getvalue()


def packaged_cjk_font() -> str | None:
    """Register the packaged CJK font with matplotlib's font manager (once) and return
    its family ("WenQuanYi Micro Hei"); None when it cannot be loaded."""
    path = packaged_font_file()
    if path is None:
        return None
    fname = str(path)
    if not any(f.fname == fname for f in font_manager.fontManager.ttflist):
        try:
            font_manager.fontManager.addfont(fname)
        except (OSError, RuntimeError, ValueError):  # unreadable font file
            return None
    # a collection (.ttc) gives one entry per face; the first is the regular face
    return next((f.name for f in font_manager.fontManager.ttflist if f.fname == fname), None)


def system_cjk_font() -> str | None:
    """The best CJK font family installed on the system, or None.

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


def _findable(family: str) -> bool:
    """Whether matplotlib's font lookup finds ``family`` (it may not find a registered
    font, e.g. with ``MPL_IGNORE_SYSTEM_FONTS`` set, which hides all but its own)."""
    try:
        font_manager.findfont(font_manager.FontProperties(family=[family]),
                              fallback_to_default=False)
    except ValueError:
        return False
    return True


def find_cjk_font() -> str | None:
    """The CJK font family our figures use: the packaged one
    (:func:`packaged_cjk_font`), else an installed one (:func:`system_cjk_font`), else
    None; a family is used only if matplotlib's font lookup finds it."""
    for find in (packaged_cjk_font, system_cjk_font):
        family = find()
        if family is not None and _findable(family):
            return family
    return None


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
        Returns the CJK font family to use, or None (default :func:`find_cjk_font`: the
        packaged font, else an installed one).
    family : str, None or NOT_SEARCHED
        The family found by :meth:`setup`; None when no CJK font could be loaded.
    warned : bool
        The FontWarning has been given (once per process).
    """

    find: Callable[[], str | None] = find_cjk_font
    family: str | None | _NotSearched = NOT_SEARCHED
    warned: bool = False

    def setup(self) -> str | None:
        """Make CJK text render: add the CJK font to matplotlib's font fallback.

        The font is added to ``rcParams["font.sans-serif"]`` (after DejaVu Sans) and
        appended to ``rcParams["font.family"]``, along which matplotlib falls back glyph
        by glyph: Latin text keeps the first font (DejaVu Sans by default), and the
        glyphs it lacks come from the CJK font. Idempotent and cheap after the first
        call (the search runs once; the rcParams entries are re-added if something
        reset them).

        Returns
        -------
        str or None
            The CJK font family used, or None when no CJK font could be loaded.
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
            "Labels contain Chinese/Japanese/Korean characters but no CJK font could "
            "be loaded, so they will show as empty boxes. The font comes with the "
            f"package {CJK_FONT_PYPI}, a dependency of funnel-sandbox: reinstall it "
            f"(`pip install {CJK_FONT_PYPI}`), or install a CJK font on the system, "
            f"e.g. on Debian or Ubuntu `apt-get install {CJK_FONT_PACKAGES[0]}` (or "
            f"{CJK_FONT_PACKAGES[1]}), or any Noto Sans CJK / Source Han Sans font; "
            "then restart Python."), stacklevel=_caller_stacklevel())

    def _quiet_weight_substitution(self, record: logging.LogRecord) -> bool:
        """Drop matplotlib's log line about the CJK fallback font's weight (e.g. WenQuanYi
        Micro Hei has only a regular weight, so a bold title's CJK glyphs are regular): a
        cosmetic substitution the reader cannot act on."""
        message = record.getMessage()
        return not (message.startswith("findfont: Failed to find font weight")
                    and isinstance(self.family, str) and self.family in message)


FONTS = FontSetup()
"""The process's font setup: every classroom figure uses this one."""


def setup_fonts() -> str | None:
    """Add the CJK font to matplotlib's font fallback (:meth:`FontSetup.setup` of
    :data:`FONTS`); returns its family, or None when no CJK font could be loaded."""
    return FONTS.setup()


@contextlib.contextmanager
def missing_glyphs_quiet() -> Iterator[None]:
    """Within the block, matplotlib's per-glyph "missing from font" warnings are ignored;
    the warnings filters are as they were after it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=GLYPH_WARNING, category=UserWarning)
        yield
