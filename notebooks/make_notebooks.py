"""Write the curriculum notebooks from their cell sources, and execute them.

Each notebook's cells are in ``notebooks/sources/nbNN_<name>.py`` as a list
``CELLS`` of ``(kind, source)``: ``md``, ``code``, or ``solution`` (a code
cell whose source is hidden until the learner opens it); a third item, a list of
tags, is copied into the cell's metadata (``requires-tool:aos`` makes nbval skip
the cell where that tool is missing, see ``conftest.py``).  Run::

    .venv/bin/python notebooks/make_notebooks.py            # every notebook
    .venv/bin/python notebooks/make_notebooks.py 03         # those whose name starts with 03

It writes ``notebooks/NN-name.ipynb`` and executes it in place (the committed
notebooks are executed, so nbval compares their outputs).
"""
from __future__ import annotations

import importlib.util
import os
import pathlib
import subprocess
import sys

import nbformat

HERE = pathlib.Path(__file__).parent
SOURCES = HERE / "sources"


def sources() -> dict:
    """``notebook name -> cells`` for every source file, in curriculum order."""
    found = {}
    for path in sorted(SOURCES.glob("nb*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        number, _, name = path.stem[2:].partition("_")
        found[f"{number}-{name.replace('_', '-')}"] = (module.CELLS, getattr(module, "REQUIRES", []))
    return found


def build(name: str, cells, requires=()) -> pathlib.Path:
    nb = nbformat.v4.new_notebook()
    if requires:  # outside tools the whole notebook needs (nbval skips it where one is missing)
        nb.metadata["aolab"] = {"requires-tools": list(requires)}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    made = []
    for kind, src, *tags in cells:
        if kind == "md":
            made.append(nbformat.v4.new_markdown_cell(src))
        else:
            cell = nbformat.v4.new_code_cell(src)
            if kind == "solution":
                cell.metadata["jupyter"] = {"source_hidden": True}
                cell.metadata["tags"] = ["solution"]
            if tags and tags[0]:
                cell.metadata["tags"] = cell.metadata.get("tags", []) + list(tags[0])
            made.append(cell)
    nb.cells = made
    path = HERE / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def execute(path: pathlib.Path) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    jupyter = pathlib.Path(sys.executable).parent / "jupyter"
    subprocess.run([str(jupyter), "nbconvert", "--to", "notebook", "--execute", "--inplace",
                    "--ExecutePreprocessor.timeout=600", str(path)], check=True, env=env, cwd=HERE)


if __name__ == "__main__":
    wanted = sys.argv[1:]
    for name, (cells, requires) in sources().items():
        if wanted and not any(name.startswith(w) for w in wanted):
            continue
        path = build(name, cells, requires)
        execute(path)
        print(path)
