"""The curriculum's exercises: they wait for the learner, their solutions pass their checks,
and a check answers a wrong answer with words, never a traceback.

Each notebook's code is run here in an IPython shell (so ``%%writefile`` works), with the
solution files of ``notebooks/solutions/`` in place of the load cell, up to its check.  The
two research notebooks run a smaller version (fewer slots; no cluster): their exercises
need only what the first cells make.
"""
from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import re
import shutil
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))

import exercises  # noqa: E402
import make_notebooks  # noqa: E402
from aolab import tools  # noqa: E402
from tests.needs import require  # noqa: E402

SOURCES = make_notebooks.sources()
WITH_EXERCISE = [name for name, cells in SOURCES.items() if any(c[0] == "check" for c in cells)]
SMALLER = {"10-research-10000-slots": [("SLOTS, CHUNK = 10_000, 1_000", "SLOTS, CHUNK = 1_450, 725")]}
ONLY_FIRST_CELL = {"11-research-dask": "client = None"}


def test_every_notebook_has_an_exercise_with_a_solution_and_a_check():
    assert WITH_EXERCISE == list(SOURCES)
    for name, cells in SOURCES.items():
        kinds = [c[0] for c in cells]
        assert kinds.count("exercise") == 1 and kinds.count("check") == 1, name
        assert "solution" in kinds, name
        assert kinds.index("exercise") < kinds.index("solution") < kinds.index("check"), name


@pytest.fixture
def shell(tmp_path, monkeypatch):
    """An IPython shell in a scratch copy of notebooks/ (``../data`` reachable)."""
    from IPython.core.interactiveshell import InteractiveShell

    work = tmp_path / "notebooks"
    work.mkdir()
    shutil.copy(NOTEBOOKS / "exercises.py", work)
    shutil.copytree(NOTEBOOKS / "solutions", work / "solutions")
    (tmp_path / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(work)
    monkeypatch.syspath_prepend(str(work))
    sys.modules.pop("exercises", None)
    existed = InteractiveShell.initialized()
    instance = InteractiveShell.instance()
    active = instance.display_formatter.active_types
    instance.reset(new_session=False)
    instance.display_formatter.active_types = ["text/plain"]
    yield instance
    instance.display_formatter.active_types = active
    instance.reset(new_session=False)
    if not existed:  # leave no shell behind for other tests (ipywidgets formats with it)
        InteractiveShell.clear_instance()
    sys.modules.pop("exercises", None)


def run(shell, source: str):
    outcome = shell.run_cell(source, store_history=False)
    if outcome.error_before_exec or outcome.error_in_exec:
        raise AssertionError(f"cell failed: {outcome.error_before_exec or outcome.error_in_exec!r}"
                             f"\n{source}")
    return outcome.result


def solution_sources(name: str) -> list[str]:
    files = sorted((NOTEBOOKS / "solutions").glob(f"{name}*.py"),
                   key=lambda p: (len(p.name), p.name))
    return [p.read_text(encoding="utf-8") for p in files]


def cells_before_check(name: str) -> list[tuple[str, str]]:
    cells = SOURCES[name]
    kept = cells[:[c[0] for c in cells].index("exercise")]
    # a cell tagged requires-tool:X is skipped where X is missing, as nbval skips it
    return [(c[0], c[1]) for c in kept if c[0] == "code" and not any(
        tools.missing(tag.split(":", 1)[1]) for tag in (c[2] if len(c) > 2 else ())
        if tag.startswith("requires-tool:"))]


@pytest.mark.parametrize("name", WITH_EXERCISE)
def test_the_solution_passes_its_check(shell, name):
    for tool in make_notebooks.requires(name):
        require(tool)
    code = [s for _, s in cells_before_check(name)]
    if name in ONLY_FIRST_CELL:
        code = [code[0], ONLY_FIRST_CELL[name]]
    for old, new in SMALLER.get(name, ()):
        assert any(old in c for c in code), old
        code = [c.replace(old, new) for c in code]
    for source in code:
        run(shell, source)
    check = next(c[1] for c in SOURCES[name] if c[0] == "check")
    unanswered = run(shell, "mine = None\n" + check)
    assert not unanswered and repr(unanswered).startswith("Not yet"), repr(unanswered)
    for source in solution_sources(name):
        run(shell, source)
    verdict = run(shell, check)
    assert verdict and repr(verdict).startswith("Checked: "), repr(verdict)


def test_solution_files_are_the_sources_solutions():
    for name, cells in SOURCES.items():
        written = solution_sources(name)
        assert written == [c[1].rstrip("\n") + "\n" for c in cells if c[0] == "solution"], name


# -- the committed notebooks wait for the learner -------------------------------------------
def committed(name: str) -> dict:
    return json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))


def text_of(cell) -> str:
    out = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        out.append("".join(data.get("text/plain", "")) + "".join(output.get("text", "")))
    return "".join(out)


@pytest.mark.parametrize("name", list(SOURCES))
def test_run_all_leaves_the_answer_to_the_learner(name):
    cells = committed(name)["cells"]
    tags = [c.get("metadata", {}).get("tags", []) for c in cells]
    loaders = [c for c, t in zip(cells, tags) if "load-solution" in t]
    assert loaders, name
    for cell in loaders:  # a load cell is only comments: running it does nothing
        assert all(line.startswith("#") for line in "".join(cell["source"]).splitlines())
        assert "%load solutions/" in "".join(cell["source"])
    check = next(c for c, t in zip(cells, tags) if "check" in t)
    assert text_of(check).startswith("Not yet: "), text_of(check)
    assert not any(o.get("output_type") == "error" for c in cells for o in c.get("outputs", []))


@pytest.mark.parametrize("name", list(SOURCES))
def test_learner_cells_show_no_nbval_comments_and_device_names_are_code(name):
    for cell in committed(name)["cells"]:
        source = "".join(cell["source"])
        assert "NBVAL" not in source, name
        if cell["cell_type"] == "markdown":
            outside_code = re.sub(r"\]\([^)]*\)", "]", "".join(source.split("`")[::2]))
            assert not make_notebooks.DEVICE_NAME.search(outside_code), (name, source[:80])


def test_notebooks_link_to_the_previous_and_next_ones():
    order = list(SOURCES)
    for at, name in enumerate(order):
        cells = committed(name)["cells"]
        top, bottom = "".join(cells[1]["source"]), "".join(cells[-1]["source"])
        for nav in (top, bottom):
            assert "(glossary.ipynb)" in nav
            assert (f"({order[at - 1]}.ipynb)" in nav) == (at > 0)
            assert (at + 1 == len(order)) or f"({order[at + 1]}.ipynb)" in nav
        assert "glossary.ipynb#" in top


def test_a_notebook_added_later_gets_links_from_the_file_list():
    order = ["00-tour", "11-research-dask", "12-arweave", "13-llm-inference"]
    titles = {n: n for n in order}
    nav = make_notebooks.navigation("12-arweave", order, titles, ["Hashpath"])
    assert "(11-research-dask.ipynb)" in nav and "(13-llm-inference.ipynb)" in nav
    assert "(glossary.ipynb#Hashpath)" in nav


def test_glossary_links_resolve_to_glossary_headings():
    glossary = committed("glossary")["cells"]
    headings = {make_notebooks.anchor("".join(c["source"]).splitlines()[0][3:])
                for c in glossary if "".join(c["source"]).startswith("## ")}
    for name in SOURCES:
        text = "".join("".join(c["source"]) for c in committed(name)["cells"])
        for anchor in re.findall(r"\(glossary\.ipynb#([^)]+)\)", text):
            assert anchor in headings, (name, anchor)
    wanted = {"Native and human IDs", "TABM", "Fold and map", "Commitments", "Hooks", "p4",
              "Force-signed", "Folded form", "Hashpath"}
    assert {make_notebooks.anchor(w) for w in wanted} <= headings


def test_markdown_tidying():
    names = {"03": "03-devices", "04": "04-stacking"}
    text = "Use stack@1.0 and `counter@1.0`, see notebooks 03 and 04; mail a@b.com stays."
    tidy = make_notebooks.tidy_markdown(text, names)
    assert tidy.startswith("Use `stack@1.0` and `counter@1.0`, see notebooks "
                           "[03](03-devices.ipynb) and [04](04-stacking.ipynb)")
    assert "a@b.com" in tidy


def test_the_tour_draws_ao_core_and_the_hashpath_formula_without_trust():
    cells = committed("00-tour")["cells"]
    pictures = [c for c in cells if c["cell_type"] == "markdown" and c.get("attachments")]
    assert len(pictures) >= 3
    for cell in pictures:
        (attachment,) = cell["attachments"].values()
        assert list(attachment) == ["image/png"]
    text = "".join("".join(c["source"]) for c in cells)
    assert "two 43-character IDs" not in text and "87 characters" not in text


# -- checks speak, never raise ----------------------------------------------------------------
def test_checks_turn_wrong_answers_into_words(tmp_path):
    import aolab

    base = {"device": "message@1.0", "a": {"b": "RESULT"}}
    assert repr(exercises.check_00({"b": "RESULT"}, base)).startswith("Not yet: `mine` has no two-part")
    lab = aolab.Node()
    wrong = lab.resolve(base, {"path": "set", "c": 1})
    assert "expected the base ID followed by `/a`" in repr(exercises.check_00(wrong, base))
    assert exercises.check_00(lab.resolve(base, "a"), base)
    assert "Hint" in repr(exercises.check_02("x/y", lab.resolve(base, {"path": "set", "d": 1})))
    assert "no device `upper@1.0`" in repr(exercises.check_03(lab))
    assert repr(exercises.check_10("1414", 10_000)).startswith("Not yet")
    assert "first such slot" in repr(exercises.check_10(2000, 10_000))
    assert exercises.check_10(1414, 10_000)
    assert repr(exercises.check_04(5)).startswith("Not yet")


def test_a_natural_wrong_answer_in_08_gets_words_not_a_zero_division_traceback(tmp_path):
    source = next(s for k, s in SOURCES["08-build-a-device"] if k == "solution")
    body = source.split("\n", 1)[1].replace('if operation in ("divide", "modulo") and b == 0:',
                                            'if operation == "divide" and b == 0:')
    folder = tmp_path / "my_devices"
    folder.mkdir()
    (folder / "my_calculator.py").write_text(body, encoding="utf-8")
    import aolab

    net = aolab.Network()
    first = aolab.Node(name="f", device_path=[folder], network=net)
    second = aolab.Node(name="s", device_path=[folder], network=net)
    result = first.resolve({"device": "my-calculator@1.0"},
                           {"path": "calculate", "operation": "modulo", "operand1": "7",
                            "operand2": "3"})
    verdict = exercises.check_08(second.verify(result, source=first), folder)
    assert not verdict and "ZeroDivisionError" in repr(verdict) and "Hint" in repr(verdict)
    assert repr(exercises.check_08(None, folder)).startswith("Not yet: `mine` is still None")


def test_check_never_raises_even_when_the_answer_breaks_it():
    class Hostile:
        def __eq__(self, other):
            raise RuntimeError("boom")

        def get(self, key):
            raise RuntimeError("boom")

    for check, args in [(exercises.check_04, (Hostile(),)), (exercises.check_07, (Hostile(),)),
                        (exercises.check_11, (Hostile(),)), (exercises.check_01, (Hostile(), []))]:
        verdict = check(*args)
        assert not verdict and repr(verdict).startswith("Not yet"), (check, verdict)


# -- notebook 08's cell device is the shipped calculator@1.0 ----------------------------------
def test_the_notebook_calculator_answers_as_the_shipped_one():
    import math

    import aolab
    from aolab.errors import AolabError, MessageError

    cell = next(s for k, s in SOURCES["08-build-a-device"] if k == "code" and "def calculate" in s)
    namespace = {"math": math, "MessageError": MessageError}
    exec(cell.split("\n\n\nlab.register_device")[0], namespace)  # noqa: S102 - our own source
    lab = aolab.Node()
    lab.register_device("my-calculator@1.0", {"info": namespace["info"],
                                              "calculate": namespace["calculate"]})
    requests = [{"operation": op, "operand1": a, "operand2": b}
                for op in ("add", "subtract", "multiply", "divide", "ADD", "power", None)
                for a, b in [("2", "3"), (" 1.5", 2), ("1", "0"), ("x", "1"), ("nan", "1"),
                             (True, "1")]]
    requests.append({"operation": "add", "operand1": "1"})

    def answer(device, request):
        try:
            return lab.resolve({"device": device}, {"path": "calculate", **request})["result"]
        except AolabError as error:
            return (type(error).__name__, error.key, str(error).split(": ", 1)[1])

    for request in requests:
        assert answer("my-calculator@1.0", request) == answer("calculator@1.0", request), request


def test_module_finds_the_sources():
    spec = importlib.util.find_spec("make_notebooks")
    assert spec is not None and os.path.samefile(spec.origin, NOTEBOOKS / "make_notebooks.py")
