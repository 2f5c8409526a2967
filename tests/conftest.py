"""Shared paths for every test layer."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The pinned chart archives, CRD schemas, chart values and the tutorial live beside the checkout (../shared); a
# checkout without them (a pull request's runner) skips the tests that read them.
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"{SHARED} (pinned charts, CRDs, chart values) is not beside the checkout"
)
