"""A configuration file dlt cannot read is named with the line and column at fault."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import ROOT
from tests.e2e.runner import run_py

pytestmark = pytest.mark.e2e


def test_a_secrets_toml_syntax_error_names_its_line_and_column(tmp_path) -> None:
    (tmp_path / ".dlt").mkdir()
    shutil.copy(ROOT / ".dlt" / "config.toml", tmp_path / ".dlt" / "config.toml")
    secrets = tmp_path / ".dlt" / "secrets.toml"
    secrets.write_text('[sources.sp_api]\nclient_id = "x"\nclient_secret = "canary-4d2f\nb = 1\n')
    result = run_py(tmp_path, "--no-dbt", DLT_PROJECT_DIR=str(tmp_path))
    assert result.returncode == 1
    assert f"error: {secrets}, line 3, column 28: " in result.stderr
    assert "canary-4d2f" not in result.stderr
