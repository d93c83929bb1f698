"""Plumbing shared by the notebooks of *Large Models for Founders*.

Importing this package is cheap: torch and TensorFlow are imported only by the
functions that use them. Modules: :mod:`helpers.runtime` (profile, device,
seeds, environment report), :mod:`helpers.diagrams` (Mermaid on Colab) and
:mod:`helpers.data` (data sets: cache, verified downloads, offline sources).
"""

import os

# Set before TensorFlow is ever imported, or its start-up banner and oneDNN
# notice leak into every executed page. setdefault: a reader's choice wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
# OpenMP threads that wait by spinning make PyTorch on a busy CPU many times slower
# (measured on the course's 2-core CI machine: 10-19 ms a step alone, 170-320 ms
# with another process running); passive waiting removes that. Read when torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
