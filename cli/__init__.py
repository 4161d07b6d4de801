"""The command line: argv, files, asyncio.run and exit codes.

The only place that composes ``sensors`` and ``analysis``.

Importing it (the console script does so before NumPy loads) keeps NumPy's BLAS to one thread
unless ``OPENBLAS_NUM_THREADS`` is set: the CLI's matrix products are thin (``(N, 3) @ (3, 3)``)
and its parallel work runs in processes (orientation blocks, ``batch --workers``). On a loaded
two-core machine a second BLAS thread spinning for a core made one such product take 0.2 s
instead of 1 ms. The thread count does not change any result the analysis writes (checked
byte for byte on the benchmark session, docs/benchmarks.md).
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
