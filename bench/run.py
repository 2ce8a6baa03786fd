"""Run every benchmark in bench/ and print its figures (``make bench``).

Each ``bench/bench_*.py`` module exposes ``run() -> dict`` of figure -> value;
this script runs them in one process, one after another, and prints a table.
"""
from __future__ import annotations

import importlib
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).parent


def show(figures: dict) -> None:
    """Print *figures* one per line, numbers with thousands separators."""
    for figure, value in figures.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            shown = f"{value:.3g}" if 0 < abs(value) < 1 else f"{value:,.2f}"
        else:
            shown = str(value)
        print(f"  {figure:44s} {shown:>16s}")


def main(names: list[str]) -> int:
    sys.path.insert(0, str(HERE))
    modules = names or sorted(p.stem for p in HERE.glob("bench_*.py"))
    for name in modules:
        module = importlib.import_module(name)
        started = time.perf_counter()
        figures = module.run()
        print(f"\n## {name} ({time.perf_counter() - started:.1f} s)")
        show(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
