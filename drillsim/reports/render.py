"""Turn a built :class:`~drillsim.reports.pdf.Doc` into files: HTML and PDF twins, figure PNGs.

The HTML comes from the Jinja2 templates in ``drillsim/reports/templates`` (autoescaped, figures
inlined as ``data:`` URIs so the page works offline); the PDF from
:func:`~drillsim.reports.pdf.render_pdf`. The briefing and the after-action report both write
their documents through here.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from drillsim.reports.figures import SENSITIVE
from drillsim.reports.pdf import BANNER, Doc, block_kind, render_pdf

_env: Environment | None = None


def _environment() -> Environment:
    global _env
    if _env is None:
        _env = Environment(
            loader=PackageLoader("drillsim.reports", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
            trim_blocks=False,
            lstrip_blocks=False,
        )
        _env.globals.update(kind=block_kind, data_uri=data_uri)
    return _env


def data_uri(png: bytes) -> str:
    """An inline ``data:`` URI for a PNG (no external files, works offline)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_html(doc: Doc, template: str = "brief.html.j2") -> str:
    """Render a Doc with a Jinja2 template (autoescaped; user-supplied text is always escaped)."""
    return (
        _environment().get_template(template).render(doc=doc, banner=BANNER, banner_short=SENSITIVE)
    )


def write_doc(doc: Doc, out: Path, stem: str, template: str) -> list[Path]:
    """Write ``doc`` as ``{stem}.html`` and ``{stem}.pdf`` in ``out``.

    Parameters
    ----------
    doc : Doc
        The document.
    out : Path
        Folder to write into (the staging folder).
    stem : str
        File name without extension ("briefing", "review").
    template : str
        Jinja2 template of the HTML page.

    Returns
    -------
    list of Path
        The HTML file, then the PDF file.
    """
    html = out / f"{stem}.html"
    html.write_text(render_html(doc, template), encoding="utf-8")
    pdf = out / f"{stem}.pdf"
    pdf.write_bytes(render_pdf(doc))
    return [html, pdf]


def write_figure_pngs(out: Path, pngs: Mapping[str, bytes], prefix: str = "") -> list[Path]:
    """Write each PNG as ``figures/{prefix}{name}.png`` under ``out``.

    Parameters
    ----------
    out : Path
        Folder to write into; its ``figures`` subfolder is created if missing.
    pngs : Mapping of str to bytes
        PNG content by figure name, written in this order.
    prefix : str
        Prefix of every file name (e.g. "review_").

    Returns
    -------
    list of Path
        The files written, in the order of ``pngs``.
    """
    (out / "figures").mkdir(exist_ok=True)
    paths = []
    for name, png in pngs.items():
        p = out / "figures" / f"{prefix}{name}.png"
        p.write_bytes(png)
        paths.append(p)
    return paths
