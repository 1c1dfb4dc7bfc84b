"""pytest configuration shared by every Python suite: make the runtime importable from the
source tree and expose the paths tests need."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON_DIR = REPO / "python"
BOOTSTRAP_DIR = PYTHON_DIR / "bootstrap"
EXAMPLES_DIR = REPO / "examples"

if str(PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(PYTHON_DIR))

os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
