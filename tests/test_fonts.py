"""CJK labels render on any machine: the font comes from PyPI (sim.presentation.plots.fonts).

The project depends on a package that carries a CJK font; our figures register that file
with matplotlib, so Chinese, Japanese and Korean stage names render with no system font
and no FontWarning. The proof runs in fresh Python processes in which no system font can
be found (no font folder, no fontconfig, no cached font list): one renders with the
packaged font, one with the package blocked, and the two pictures differ.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from matplotlib import font_manager
from matplotlib import image as mpimg

from sim.presentation.plots import fonts
from sim.presentation.plots.fonts import CJK_FONT_PYPI

ROOT = Path(__file__).resolve().parents[1]
ZH = ["初步接洽", "确定需求", "方案报价", "谈判及签约"]  # scenarios/course_zh.toml
JA = ["リード", "商談", "見積り", "受注"]
KO = ["리드", "상담", "제안", "수주"]
FAMILY = "WenQuanYi Micro Hei"


def test_the_project_depends_on_the_font_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(req.startswith(CJK_FONT_PYPI) for req in project["dependencies"])
    path = fonts.packaged_font_file()
    assert path is not None and path.is_file()
    dist = importlib.metadata.distribution(CJK_FONT_PYPI)
    shipped = {Path(dist.locate_file(f)).resolve() for f in dist.files or []}
    assert path.resolve() in shipped  # the installed package's own file, not a download


@pytest.mark.parametrize("names", [ZH, JA, KO], ids=["zh", "ja", "ko"])
def test_the_packaged_font_has_the_chinese_japanese_and_korean_glyphs(names):
    font = font_manager.get_font(str(fonts.packaged_font_file()))
    assert font.family_name == FAMILY
    assert [ch for ch in "".join(names) if not font.get_char_index(ord(ch))] == []


def test_the_packaged_font_comes_first_and_registers_once():
    assert fonts.find_cjk_font() == fonts.packaged_cjk_font() == FAMILY
    fname = str(fonts.packaged_font_file())
    entries = [f for f in font_manager.fontManager.ttflist if f.fname == fname]
    assert fonts.packaged_cjk_font() == FAMILY  # a second call adds nothing
    assert [f for f in font_manager.fontManager.ttflist if f.fname == fname] == entries


def test_without_the_package_no_font_file_and_the_system_font_is_the_fallback(monkeypatch):
    monkeypatch.setitem(sys.modules, "paperang_p2_fonts_cjk", None)  # import is blocked
    assert fonts.packaged_font_file() is None and fonts.packaged_cjk_font() is None
    assert fonts.find_cjk_font() == fonts.system_cjk_font()


def test_a_font_matplotlib_would_not_find_is_not_used(monkeypatch):
    # MPL_IGNORE_SYSTEM_FONTS makes matplotlib look in its own folder only: the packaged
    # font is registered but would not draw, so none is used and the FontWarning tells
    monkeypatch.setenv("MPL_IGNORE_SYSTEM_FONTS", "1")
    assert fonts.packaged_cjk_font() == FAMILY
    assert fonts.find_cjk_font() is None


# --- a machine with no system font ---------------------------------------------------------

CHILD = r'''
import json, sys, warnings
from pathlib import Path

import matplotlib
from matplotlib import font_manager as fm

mode, out = sys.argv[1], Path(sys.argv[2])
# no system font: none from the font folders or fontconfig, now or in a later search
original = fm.findSystemFonts
fm.findSystemFonts = lambda fontpaths=None, fontext="ttf": (
    [] if fontpaths is None else original(fontpaths, fontext))
fm._get_fontconfig_fonts = lambda: []
fm.fontManager.__init__()  # the font list again, in place: matplotlib's own fonts only
fm._get_font.cache_clear()
fm.FontManager._findfont_cached.cache_clear()
data = Path(matplotlib.get_data_path()).resolve()
assert all(Path(f.fname).resolve().is_relative_to(data) for f in fm.fontManager.ttflist)
if mode == "blocked":
    sys.modules["paperang_p2_fonts_cjk"] = None  # as if the package were not installed

import pandas as pd
from sim.presentation import plots
from sim.presentation.plots.fonts import FONTS, FontWarning, packaged_font_file

stages = json.loads(sys.argv[3])
frame = pd.DataFrame({"stage_index": range(len(stages)), "stage": stages,
                      "count": range(len(stages), 0, -1), "amount": 1e5})
with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("error")  # any other warning (a missing glyph) is an error
    warnings.simplefilter("always", FontWarning)
    png = plots.to_png_bytes(plots.plot_funnel(frame, currency="CNY"))
(out / f"{mode}.png").write_bytes(png)
props = fm.FontProperties(family=matplotlib.rcParams["font.family"])
chain = [fm.get_font(p) for p in fm.fontManager._find_fonts_by_props(props)]
drawn_by = {ch: next((f.fname for f in chain if f.get_char_index(ord(ch))), None)
            for ch in "".join(stages)}
print(json.dumps({
    "family": FONTS.family,
    "packaged": str(packaged_font_file()) if packaged_font_file() else None,
    "not_matplotlibs": sorted({f.fname for f in fm.fontManager.ttflist
                               if not Path(f.fname).resolve().is_relative_to(data)}),
    "drawn_by": drawn_by,
    "warnings": [f"{w.category.__name__}: {w.message}" for w in seen],
}))
'''


def _render(mode: str, tmp_path: Path) -> tuple[dict, bytes]:
    """Run the child in a fresh Python with an empty matplotlib config folder."""
    config = tmp_path / f"mplconfig-{mode}"
    config.mkdir()
    # (not MPL_IGNORE_SYSTEM_FONTS: it hides every font outside matplotlib's own folder,
    # the packaged one too, which no real machine does)
    env = {key: value for key, value in os.environ.items() if key != "MPL_IGNORE_SYSTEM_FONTS"}
    env.update(MPLCONFIGDIR=str(config), MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(tmp_path), json.dumps(ZH + JA + KO)],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), (tmp_path / f"{mode}.png").read_bytes()


def test_cjk_labels_render_with_no_system_font(tmp_path):
    found, png = _render("packaged", tmp_path)
    assert found["warnings"] == []  # no FontWarning, no missing glyph
    assert found["family"] == FAMILY
    cjk = {ch for ch in "".join(ZH + JA + KO) if fonts.has_cjk(ch)}
    assert cjk and all(found["drawn_by"][ch] == found["packaged"] for ch in cjk)
    # no system font crept in: matplotlib's own fonts and the packaged one only
    assert found["not_matplotlibs"] == [found["packaged"]]

    blocked, boxes = _render("blocked", tmp_path)
    assert blocked["family"] is None and blocked["packaged"] is None
    assert len(blocked["warnings"]) == 1 and blocked["warnings"][0].startswith("FontWarning")
    assert CJK_FONT_PYPI in blocked["warnings"][0]
    assert all(blocked["drawn_by"][ch] is None for ch in cjk)  # empty boxes

    drawn, empty = (mpimg.imread(io.BytesIO(data), format="png") for data in (png, boxes))
    assert drawn.shape == empty.shape
    assert (drawn != empty).any()  # the packaged font drew the labels, not empty boxes
