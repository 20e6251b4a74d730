"""Test session settings: one BLAS thread, so sparse direct solves do not stall when the
test processes share a small machine."""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
