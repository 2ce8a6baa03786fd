"""Write the curriculum notebooks from their cell sources, and execute them.

Each notebook's cells are in ``notebooks/sources/nbNN_<name>.py`` as a list
``CELLS`` of ``(kind, source)``:

``md``
    a markdown cell.  Device names (``name@1.0``) outside code spans are put in
    backticks (JupyterLab would otherwise show them as ``mailto:`` links), and
    "notebook 03" / "notebooks 04 and 05" become links.
``code``
    a code cell.  A first line ``# NBVAL_IGNORE_OUTPUT`` becomes the cell tag
    ``nbval-ignore-output`` (the learner never sees the comment).
``exercise``
    the learner's cell (tag ``exercise``).
``solution``
    written to ``solutions/NN-name.py`` (``-2``, ``-3``... for more than one);
    the notebook gets a cell that loads it only when the learner asks
    (``%load``, commented out), so "Run All" never answers for the learner.
``check``
    the exercise's check (tag ``check``): a friendly verdict, never a traceback.
``picture``
    ``(alt text, DOT text)``: a markdown cell showing the drawing as a PNG
    attachment (shown without trust, like any markdown).

A code cell may carry a third item, a list of extra tags: ``requires-tool:aos``
makes nbval skip the cell where that outside tool is missing (see the root
``conftest.py``); a source's ``REQUIRES = ["arlocal"]`` does so for every cell of
the notebook (written to its metadata as ``aolab/requires-tools``).

The builder also adds, to every numbered notebook, a line of links to the
previous and next notebooks and to the glossary words it uses, and a last
cell linking to the next notebook; the order is the file list, so a notebook
added later gets its links from here.  ``sources/glossary.py`` is the glossary
(``TERMS``: heading, words that link to it, text).  Run::

    .venv/bin/python notebooks/make_notebooks.py            # every notebook
    .venv/bin/python notebooks/make_notebooks.py 03         # those whose name starts with 03
    .venv/bin/python notebooks/make_notebooks.py --no-execute

It writes ``notebooks/NN-name.ipynb`` and executes it in place (the committed
notebooks are executed, so nbval compares their outputs).
"""
from __future__ import annotations

import base64
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import nbformat

HERE = pathlib.Path(__file__).parent
SOURCES = HERE / "sources"
SOLUTIONS = HERE / "solutions"
GLOSSARY = "glossary"
LOAD_HINT = ("# Stuck? Delete the \"# \" before %load below and run this cell: it loads a solution"
             "\n# into the cell (run the cell again to use it).\n")


def _module(path: pathlib.Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sources() -> dict:
    """``notebook name -> cells`` for every numbered source file, in curriculum order."""
    found = {}
    for path in sorted(SOURCES.glob("nb*.py")):
        number, _, name = path.stem[2:].partition("_")
        found[f"{number}-{name.replace('_', '-')}"] = _module(path).CELLS
    return found


def requires(name: str) -> list:
    """The outside tools notebook *name* needs as a whole (its source's ``REQUIRES``)."""
    number, _, rest = name.partition("-")
    path = SOURCES / f"nb{number}_{rest.replace('-', '_')}.py"
    return list(getattr(_module(path), "REQUIRES", [])) if path.exists() else []


def glossary_terms() -> list:
    """``(heading, words, text)`` of every glossary entry."""
    return list(_module(SOURCES / f"{GLOSSARY}.py").TERMS)


def anchor(heading: str) -> str:
    """The id JupyterLab gives a markdown heading (its text, spaces as ``-``)."""
    return heading.replace(" ", "-")


def title_of(cells) -> str:
    """The notebook's title: its first markdown heading, without ``#``."""
    first = next(src for kind, src, *_ in cells if kind == "md")
    return first.splitlines()[0].lstrip("#").strip()


# -- markdown ---------------------------------------------------------------------
DEVICE_NAME = re.compile(r"(?<![\w`~/.-])(~?[a-z][a-z0-9-]*@\d+\.\d+)(?![\w@-])")
NOTEBOOK_REF = re.compile(r"\b(notebooks?) (\d\d(?:(?:–|-| and |, )\d\d)*)")


def tidy_markdown(text: str, names: dict) -> str:
    """Backticks around device names and links for notebook numbers, outside code spans."""
    text = re.sub(r"\n(\*\*What you)", r"\n\n\1", text)
    parts = re.split(r"(`[^`]*`|\[[^\]]*\]\([^)]*\))", text)
    for i in range(0, len(parts), 2):
        part = DEVICE_NAME.sub(r"`\1`", parts[i])
        parts[i] = NOTEBOOK_REF.sub(lambda m: _link_numbers(m, names), part)
    return "".join(parts)


def _link_numbers(match, names: dict) -> str:
    def link(number):
        name = names.get(number.group(0))
        return f"[{number.group(0)}]({name}.ipynb)" if name else number.group(0)
    return f"{match.group(1)} " + re.sub(r"\d\d", link, match.group(2))


def glossary_words(cells, terms) -> list:
    """The glossary entries whose words appear in the notebook's markdown."""
    text = " ".join(src for kind, src, *_ in cells if kind == "md").lower()
    return [heading for heading, words, _ in terms
            if any(re.search(rf"(?<![\w-]){re.escape(w.lower())}(?![\w-])", text) for w in words)]


def navigation(name: str, order: list, titles: dict, words=()) -> str:
    """Links to the previous and next notebooks, the glossary, and the glossary words used."""
    at = order.index(name)
    links = []
    if at > 0:
        links.append(f"[← {titles[order[at - 1]]}]({order[at - 1]}.ipynb)")
    links.append(f"[glossary]({GLOSSARY}.ipynb)")
    if at + 1 < len(order):
        links.append(f"[{titles[order[at + 1]]} →]({order[at + 1]}.ipynb)")
    line = " · ".join(links)
    if words:
        line += "\n\nWords used here: " + ", ".join(
            f"[{w}]({GLOSSARY}.ipynb#{anchor(w)})" for w in words)
    return line


# -- cells ------------------------------------------------------------------------
def picture_cell(alt: str, dot_text: str, dpi: int = 144):
    """A markdown cell showing *dot_text* drawn by Graphviz, as a PNG attachment.

    JupyterLab renders a markdown cell's attachments whatever the notebook's trust,
    but only raster images (not SVG), so the picture is a PNG drawn at *dpi* and shown
    at Graphviz's own size (at most :data:`aolab.viz.render.FIT_WIDTH` pixels wide).
    """
    import struct

    from aolab.viz import render
    from aolab.viz.render import FIT_WIDTH

    png = render(dot_text.replace("{", f'{{ dpi="{dpi}";', 1), "png")
    width = struct.unpack(">I", png[16:20])[0]  # the IHDR chunk
    shown = min(round(width * 96 / dpi), FIT_WIDTH)
    key = re.sub(r"[^a-z0-9]+", "-", alt.lower()).strip("-")[:40] + ".png"
    cell = nbformat.v4.new_markdown_cell(f'<img src="attachment:{key}" width="{shown}" '
                                         f'alt="{alt}">')
    cell["attachments"] = {key: {"image/png": base64.b64encode(png).decode()}}
    return cell


def build(name: str, cells, *, order=None, titles=None, terms=None) -> pathlib.Path:
    """Write notebook *name* (and its solution files) from *cells*."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    if requires(name):  # nbval skips the notebook where one of these tools is missing
        nb.metadata["aolab"] = {"requires-tools": requires(name)}
    navigate = order is not None and name in order
    order = order or [name]
    titles = titles or {name: title_of(cells)}
    numbers = {n.split("-")[0]: n for n in order}
    words = glossary_words(cells, terms) if terms else []
    for stale in [*SOLUTIONS.glob(f"{name}.py"), *SOLUTIONS.glob(f"{name}-[0-9]*.py")]:
        stale.unlink()  # solutions are written afresh from the source
    made, solutions = [], 0
    for kind, src, *extra in cells:
        if kind == "md":
            made.append(nbformat.v4.new_markdown_cell(tidy_markdown(src, numbers)))
        elif kind == "picture":
            made.append(picture_cell(*src))
        elif kind == "solution":
            solutions += 1
            path = SOLUTIONS / (f"{name}.py" if solutions == 1 else f"{name}-{solutions}.py")
            path.parent.mkdir(exist_ok=True)
            path.write_text(src.rstrip("\n") + "\n", encoding="utf-8")
            made.append(_code(LOAD_HINT + f"# %load solutions/{path.name}", "load-solution"))
        else:
            source, tags = src, {"exercise": ["exercise"], "check": ["check"]}.get(kind, [])
            if source.startswith("# NBVAL_IGNORE_OUTPUT\n"):
                source, tags = source.split("\n", 1)[1], tags + ["nbval-ignore-output"]
            made.append(_code(source, *tags, *(extra[0] if extra else ())))
    if navigate:
        made.insert(1, nbformat.v4.new_markdown_cell(navigation(name, order, titles, words)))
        made.append(nbformat.v4.new_markdown_cell(navigation(name, order, titles)))
    for index, cell in enumerate(made):  # stable ids: a rebuild changes only what changed
        cell["id"] = f"{name[:40]}-{index}"
    nb.cells = made
    path = HERE / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _code(source: str, *tags):
    cell = nbformat.v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def build_glossary(terms, first: str) -> pathlib.Path:
    """The glossary notebook: one heading per term, each linked from the notebooks."""
    cells = [("md", "# Glossary\n\nThe words of AO-Core and HyperBEAM as the notebooks use them. "
                    f"Start with [the tour]({first}.ipynb).")]
    cells += [("md", f"## {heading}\n{text}") for heading, _, text in terms]
    return build(GLOSSARY, cells)


def execute(path: pathlib.Path) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    jupyter = pathlib.Path(sys.executable).parent / "jupyter"
    subprocess.run([str(jupyter), "nbconvert", "--to", "notebook", "--execute", "--inplace",
                    "--ExecutePreprocessor.timeout=600", str(path)], check=True, env=env, cwd=HERE)


def main(argv) -> None:
    run = "--no-execute" not in argv
    wanted = [a for a in argv if not a.startswith("--")]
    everything = sources()
    order = list(everything)
    titles = {name: title_of(cells) for name, cells in everything.items()}
    terms = glossary_terms()
    if not wanted or any(GLOSSARY.startswith(w) for w in wanted):
        print(build_glossary(terms, order[0]))
    for name, cells in everything.items():
        if wanted and not any(name.startswith(w) for w in wanted):
            continue
        path = build(name, cells, order=order, titles=titles, terms=terms)
        if run:
            execute(path)
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
