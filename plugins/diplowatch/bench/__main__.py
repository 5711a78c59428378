"""`python -m diplowatch.bench` (make bench)."""

from __future__ import annotations

import sys

from diplowatch.bench.run import main

if __name__ == "__main__":
    sys.exit(main())
