"""Sweep findings, one per (class, kind of bad input), as measured: what the call did. What it should do
is in test_sweep.py: work, or raise ValueError/TypeError/IndexError naming the class with expected/got and
change nothing. The sweep marks these strict xfails; delete an entry once its module is fixed.

Kinds: rank, size, dtype, empty, nan, noncontiguous, device (one tensor of the input CUDA-typed),
target-device (a criterion's target CUDA-typed). A CUDA-typed tensor over host memory simulates a GPU
tensor on this CPU-only machine: touching its data raises ImportError (no CuPy), so an ImportError means
the module used the data before checking the device."""

FINDINGS = {}

