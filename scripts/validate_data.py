"""Validate the bundled corpus (same as ``claims validate-data``); exits non-zero on any problem."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["validate-data", *sys.argv[1:]]))
