"""DOT text to pictures: SVG, PNG and self-contained HTML files, with Graphviz.

:func:`render` runs Graphviz's ``dot`` program on DOT text; when ``dot`` is
not installed it raises :class:`GraphvizNotFound`, which says how to install
it.  :func:`export` writes a trace (or graph) to a file chosen by its suffix
and :func:`show` returns an object Jupyter displays as the tree's SVG.

>>> import aolab
>>> lab = aolab.Node()
>>> lab.resolve({"device": "message@1.0", "a": {"b": "RESULT"}}, "a/b")
'RESULT'
>>> drawing = show(lab.trace)
>>> drawing
<Merkle tree: 2 steps, 3 drawn>
>>> drawing.dot.startswith("digraph merkle {")
True
"""
from __future__ import annotations

import html
import pathlib
import re
import shutil
import subprocess

from ..errors import AolabError
from ..step import COLUMNS
from .tree import TreeDot, graph_of, short_hashpath, tree_dot

INSTALL_HINT = ("install Graphviz: `make setup` in the aolab checkout, "
                "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) "
                "or `conda install python-graphviz` (conda)")
TEXT_FORMATS = frozenset(("svg", "dot", "gv", "xdot", "json", "plain", "canon"))


class GraphvizError(AolabError, RuntimeError):
    """Graphviz could not draw the DOT text (its message is included)."""


class GraphvizNotFound(GraphvizError, FileNotFoundError):
    """Graphviz's ``dot`` program is not on the ``PATH``."""


def dot_program(engine: str = "dot") -> str:
    """The path of Graphviz's *engine* program; :class:`GraphvizNotFound` when missing."""
    found = shutil.which(engine)
    if found is None:
        raise GraphvizNotFound(f"Graphviz's `{engine}` program is not on the PATH, so the tree "
                               f"cannot be drawn as a picture; {INSTALL_HINT}. "
                               "aolab.viz.to_dot() still gives the DOT text.")
    return found


def render(dot_text: str, format: str = "svg", *, engine: str = "dot",  # noqa: A002
           timeout: float = 120.0):
    """Draw DOT text with Graphviz.

    Parameters
    ----------
    dot_text : str
        DOT text, e.g. from :func:`aolab.viz.to_dot`.
    format : str
        A Graphviz output format: ``svg`` (returned as ``str``), ``png``,
        ``pdf``... (returned as ``bytes``).
    engine : str
        The Graphviz layout program (``dot``).

    Raises
    ------
    GraphvizNotFound
        When the program is not installed (the message says how to install it).
    GraphvizError
        When Graphviz rejects the DOT text.

    Examples
    --------
    >>> svg = render('digraph { a -> b }')  # doctest: +SKIP
    >>> svg.lstrip().startswith("<?xml")  # doctest: +SKIP
    True
    """
    program = dot_program(engine)
    try:
        done = subprocess.run([program, f"-T{format}"], input=dot_text.encode("utf-8", "replace"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise GraphvizError(f"Graphviz `{engine}` took more than {timeout:g} s; draw a smaller "
                            "view (view='summary' or a lower max_nodes)") from None
    if done.returncode != 0:
        raise GraphvizError(f"Graphviz `{engine} -T{format}` failed (exit {done.returncode}): "
                            f"{done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout.decode("utf-8") if format in TEXT_FORMATS else done.stdout


def export(trace_or_graph, path, **view) -> pathlib.Path:
    """Write a trace's tree to *path*; the suffix chooses the format.

    ``.dot``/``.gv``: DOT text (needs no Graphviz); ``.svg``, ``.png``,
    ``.pdf``: a picture; ``.html``: one self-contained page with the SVG
    inline and a table of the steps (clicking a node jumps to its row).
    Keyword arguments are those of :func:`aolab.viz.to_dot`.

    Examples
    --------
    >>> import aolab, tempfile, pathlib
    >>> lab = aolab.Node()
    >>> lab.resolve({"a": "1"}, "a")
    '1'
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     export(lab.trace, pathlib.Path(tmp) / "tree.dot").read_text().count("->")
    1
    """
    path = pathlib.Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("dot", "gv"):
        path.write_text(tree_dot(trace_or_graph, **view).text, encoding="utf-8")
    elif suffix in ("html", "htm"):
        path.write_text(to_html(trace_or_graph, **view), encoding="utf-8")
    elif suffix in ("svg", "png", "pdf", "jpg", "jpeg"):
        format_ = "jpg" if suffix == "jpeg" else suffix
        picture = render(tree_dot(trace_or_graph, **view).text, format_)
        if isinstance(picture, str):
            path.write_text(picture, encoding="utf-8")
        else:
            path.write_bytes(picture)
    else:
        raise ValueError(f"cannot export to {path.name!r}: expected a .dot, .gv, .svg, .png, .pdf "
                         "or .html file")
    return path


def to_html(trace_or_graph, *, title: str = "Merkle execution tree", **view) -> str:
    """One self-contained HTML page: the tree's SVG inline and a table of the steps."""
    view.setdefault("links", True)
    drawing = tree_dot(trace_or_graph, **view)
    svg = render(drawing.text, "svg")
    svg = svg[svg.find("<svg"):] if "<svg" in svg else svg
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in drawing.notes)
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style></head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n<p>{drawing.steps:,} steps, {drawing.drawn:,} drawn "
        f"({html.escape(drawing.view)} view)</p>\n<ul>{notes}</ul>\n"
        f"<div class=\"tree\">{svg}</div>\n{steps_table_html(trace_or_graph)}\n</body></html>\n")


_CSS = ("body{font-family:Helvetica,Arial,sans-serif;margin:1.5em}"
        "table{border-collapse:collapse;font-size:12px}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}"
        "tr:target{background:#ffe9a8}code{font-size:11px}.tree{overflow:auto}")
_COLUMNS = tuple(c for c in COLUMNS if c not in ("base", "result", "ms"))


def steps_table_html(trace_or_records) -> str:
    """An HTML table with one row per step (row ``id`` ``row-N``)."""
    head = "".join(f"<th>{c}</th>" for c in _COLUMNS)
    rows = [f"<table><thead><tr>{head}</tr></thead><tbody>"]
    for record in step_records(trace_or_records):
        cells = []
        for column in _COLUMNS:
            value = record.get(column)
            if column in ("request", "hashpath") and isinstance(value, str):
                cells.append(f"<td title=\"{html.escape(value)}\"><code>"
                             f"{html.escape(short_hashpath(value))}</code></td>")
            else:
                cells.append(f"<td>{html.escape('' if value is None else str(value))}</td>")
        rows.append(f"<tr id=\"row-{record.get('step')}\">" + "".join(cells) + "</tr>")
    rows.append("</tbody></table>")
    return "\n".join(rows)


def step_records(trace_or_records) -> list:
    """The step records of a trace, a list of records, or a graph built from records
    (``graph.graph["records"]``; a graph built otherwise has none)."""
    if isinstance(trace_or_records, list):
        return trace_or_records
    records = getattr(trace_or_records, "records", None)
    if records is not None:
        return records
    return graph_of(trace_or_records).graph.get("records", [])


FIT_WIDTH = 880   # px: the widest picture a notebook cell shows without a scroll bar


def fit_svg(svg: str, max_width: int = FIT_WIDTH) -> tuple[str, int, int]:
    """*svg* with its outer ``width``/``height`` scaled down (never up) so that it is
    at most *max_width* pixels wide; its ``viewBox`` keeps the drawing whole.
    Returns the SVG and its width and height in pixels.

    >>> fit_svg('<svg width="1320pt" height="66pt" viewBox="0 0 1320 66">')[1:]
    (880, 44)
    """
    found = re.search(r'<svg\b[^>]*?\swidth="([\d.]+)(pt|px)?"\s+height="([\d.]+)(pt|px)?"', svg)
    if found is None:
        return svg, max_width, 0
    scale = 4 / 3  # Graphviz writes points; a CSS pixel is 3/4 of a point
    width = float(found.group(1)) * (scale if found.group(2) in (None, "pt") else 1)
    height = float(found.group(3)) * (scale if found.group(4) in (None, "pt") else 1)
    if width > max_width:
        width, height = max_width, height * max_width / width
    width, height = round(width), round(height)
    head = found.group(0)
    fitted = re.sub(r'\swidth="[^"]*"\s+height="[^"]*"', f' width="{width}px" height="{height}px"',
                    head, count=1)
    return svg.replace(head, fitted, 1), width, height


class Drawing:
    """A drawn tree for Jupyter: shown as SVG (with a PNG copy); its text repr is stable.

    ``dot`` is the DOT text, ``tree`` the :class:`~aolab.viz.tree.TreeDot`.
    In Jupyter it is an ``image/svg+xml`` output at most :data:`FIT_WIDTH`
    pixels wide, with the same picture as ``image/png``: JupyterLab shows SVG
    only in a trusted notebook, and the PNG when a stored notebook is opened
    untrusted.  When Graphviz is missing (or fails), Jupyter shows how to
    install it (or the error) instead.
    """

    def __init__(self, tree: TreeDot, steps: int, *, max_width: int = FIT_WIDTH):
        self.tree, self.steps, self.max_width = tree, steps, max_width
        self.dot = tree.text
        self._svg = None

    def __repr__(self) -> str:
        shown = "" if self.tree.view == "full" else f", {self.tree.view} view"
        return f"<Merkle tree: {self.steps:,} steps, {self.tree.drawn:,} drawn{shown}>"

    @property
    def svg(self) -> str:
        """The SVG text (drawn once, with Graphviz)."""
        if self._svg is None:
            self._svg = render(self.dot, "svg")
        return self._svg

    def _repr_svg_(self):
        try:
            return self.svg
        except GraphvizError:
            return None

    def _repr_html_(self):
        try:
            self.svg
            return None
        except GraphvizError as error:
            return f"<pre>{html.escape(str(error))}</pre>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        try:
            svg, width, height = fit_svg(self.svg, self.max_width)
            png = render(self.dot, "png")
        except GraphvizError as error:
            return {"text/html": f"<pre>{html.escape(str(error))}</pre>", "text/plain": repr(self)}
        size = {"width": width, "height": height}
        return ({"image/svg+xml": svg, "image/png": png, "text/plain": repr(self)},
                {"image/png": size, "image/svg+xml": size})

    def save(self, path) -> pathlib.Path:
        """Write the drawing; the suffix chooses the format (``.dot``, ``.svg``, ``.png``...)."""
        path = pathlib.Path(path)
        suffix = path.suffix.lower().lstrip(".")
        if suffix in ("dot", "gv"):
            path.write_text(self.dot, encoding="utf-8")
        elif suffix == "svg":
            path.write_text(self.svg, encoding="utf-8")
        else:
            path.write_bytes(render(self.dot, suffix))
        return path


def show(trace_or_graph, **view) -> Drawing:
    """The tree of a trace, for Jupyter to display (keywords as :func:`aolab.viz.to_dot`).

    >>> import networkx as nx
    >>> show(nx.DiGraph())
    <Merkle tree: 0 steps, 0 drawn>
    """
    tree = tree_dot(trace_or_graph, **view)
    records = getattr(trace_or_graph, "records", None)
    return Drawing(tree, len(records) if records is not None else tree.steps)
