"""The reliability battery (`../shared/guide/reliability-battery.md`): one test per fault, each
against the sandbox over real HTTP(S), compared with a clean run by `fingerprint`."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e
