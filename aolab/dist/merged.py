"""Many runs' steps as one Merkle DAG, merged by hashpath: :class:`MergedTrace`
lives in :mod:`aolab.merged_trace` (built by the one graph builder from step
records) and is what :attr:`aolab.dist.Runs.trace` returns."""
from __future__ import annotations

from ..merged_trace import MergedTrace

__all__ = ["MergedTrace"]
