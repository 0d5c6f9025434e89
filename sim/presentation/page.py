"""The frame of our self-contained HTML pages (the run report, the stress test, the
tournament's debrief): ``<head>`` and ``<body>``, and for a page with Chinese (Japanese,
Korean) text the CJK font it needs, embedded.

A reader's machine may have no CJK font at all; the figures are PNGs drawn with the
packaged font (:mod:`sim.presentation.plots.fonts`), and the text gets the same font
through an ``@font-face`` rule whose source is a ``data:`` URL: the packaged font cut
down to the characters the page uses (:func:`~sim.presentation.plots.fonts.web_font_subset`),
so the page stays one file that fetches nothing. The rule's ``unicode-range`` holds the
CJK blocks only, so Latin text keeps the page's own fonts; its family comes first in the
body's ``font-family``. A page without CJK characters (an English page of an English
scenario) is exactly as it was: no rule, no font.
"""

from __future__ import annotations

import base64
import html
import re

from sim.presentation.i18n import HTML_LANG
from sim.presentation.plots.fonts import CJK_RANGES, cjk_characters, web_font_subset

WEB_CJK_FAMILY = "Funnel Sandbox CJK"
"""The family name the pages give the embedded CJK font (the packaged WenQuanYi Micro Hei,
cut down to the page's characters)."""

_BODY_FONTS = re.compile(r"\bbody\s*\{[^}]*?font-family:\s*([^;}]+)")


def unicode_range() -> str:
    """The CSS ``unicode-range`` of the CJK blocks
    (:data:`~sim.presentation.plots.fonts.CJK_RANGES`).

    >>> unicode_range().split(", ")[:2]
    ['U+2E80-2FDF', 'U+3000-30FF']
    """
    return ", ".join(f"U+{a:X}-{b:X}" for a, b in CJK_RANGES)


def cjk_font_css(text: str, css: str) -> str:
    """The CSS that shows the CJK characters of ``text`` (a page's HTML, markup and
    entities allowed) in the packaged font: an ``@font-face`` for
    :data:`WEB_CJK_FAMILY` with the font cut down to those characters as a base64
    ``data:font/ttf`` URL, and a ``body`` rule that puts the family first before the
    fonts of ``css``'s ``body`` rule. Empty when ``text`` has no CJK character, or the
    packaged font is not installed (the page then falls back on the reader's fonts).
    """
    characters = cjk_characters(html.unescape(text))
    font = web_font_subset(characters) if characters else None
    if font is None:
        return ""
    fonts = _BODY_FONTS.search(css)
    rest = " ".join(fonts[1].split()) if fonts else "sans-serif"
    data = base64.b64encode(font).decode("ascii")
    return (f'\n@font-face {{ font-family: "{WEB_CJK_FAMILY}"; '
            f'src: url(data:font/ttf;base64,{data}) format("truetype"); '
            f"unicode-range: {unicode_range()}; }}\n"
            f'body {{ font-family: "{WEB_CJK_FAMILY}", {rest}; }}\n')


def html_page(title: str, body: str, css: str, lang: str) -> str:
    """One self-contained HTML document: ``<html lang>`` for ``lang`` ("en" or "zh"),
    ``title`` (HTML), ``css`` inline, ``body`` (the inside of ``<body>``); with the CJK
    font of :func:`cjk_font_css` when the title or body have CJK characters.

    >>> page = html_page("Hi", "<p>Hi</p>", "p {}", "en")
    >>> page[:51]
    '<!DOCTYPE html>\\n<html lang="en"><head><meta charset'
    >>> page[51:]
    '="utf-8"><title>Hi</title><style>p {}</style></head><body><p>Hi</p></body></html>\\n'
    """
    style = css + cjk_font_css(title + body, css)
    return (f"<!DOCTYPE html>\n<html lang=\"{HTML_LANG[lang]}\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><style>{style}</style></head>"
            f"<body>{body}</body></html>\n")
