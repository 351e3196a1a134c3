"""Unit tests run at the smoke profile on CPU, whatever the machine."""

import os
import sys
from pathlib import Path

os.environ["MTADAM_PROFILE"] = "smoke"
os.environ.setdefault("MTADAM_THREADS", "2")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # before `pip install -e .`, import mtadam/mtbook from the checkout
    sys.path.insert(0, str(ROOT))
