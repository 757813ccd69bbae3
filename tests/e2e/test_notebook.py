"""notebooks/amazon.ipynb and README's warehouse tour, run the way a user runs them: against a
plain `python pipelines/run.py` sandbox load in a checkout's layout."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import nbclient
import nbformat
import pytest

from tests.conftest import ROOT
from tests.e2e.runner import environment

NOTEBOOK = ROOT / "notebooks" / "amazon.ipynb"
SECTIONS = {"sales", "profit", "settlements", "inventory", "competition", "coverage"}
MARTS = {path.stem for path in (ROOT / "sql" / "models" / "marts").glob("*.sql")}


def _tour() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## What's in the warehouse", 1)[1].split("\n## ", 1)[0]


def _execute(cwd: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    return notebook


def _printed(cell: nbformat.NotebookNode) -> str:
    return "".join(output.text for output in cell.outputs if output.output_type == "stream")


@pytest.fixture(scope="module")
def project(default_run) -> Path:
    """A checkout's layout, sql/ and notebooks/ beside the amazon.duckdb a plain run loaded."""
    return default_run.project


def test_committed_notebook_has_no_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


def test_readme_tour_lists_every_mart() -> None:
    listed = set(re.findall(r"^\| `(\w+)` \|", _tour(), flags=re.MULTILINE))
    assert listed == MARTS


@pytest.mark.e2e
def test_notebook_runs_top_to_bottom_and_every_chart_has_rows(project, monkeypatch) -> None:
    monkeypatch.delenv("AMAZON_DUCKDB_PATH", raising=False)  # the default: the project's file
    notebook = _execute(project / "notebooks")
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert _printed(code[0]).startswith(f"reading {project / 'amazon.duckdb'}")
    rows = json.loads(_printed(code[-1]).strip().splitlines()[-1])
    assert set(rows) == SECTIONS
    assert all(count > 0 for count in rows.values()), rows
    charts = [
        output for cell in code for output in cell.outputs if "image/png" in output.get("data", {})
    ]
    assert len(charts) == len(SECTIONS)
    coverage = next(cell for cell in code if '"coverage"' in cell.source)
    for source in ("SP-API API", "SP-API reports", "MWS"):  # AIM's live days lose to the API
        assert f"\n{source}: " in f"\n{_printed(coverage)}"


@pytest.mark.e2e
def test_notebook_names_the_warehouse_it_cannot_find(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AMAZON_DUCKDB_PATH", str(tmp_path / "elsewhere.duckdb"))
    with pytest.raises(nbclient.exceptions.CellExecutionError) as failure:
        _execute(tmp_path)
    assert failure.value.ename == "FileNotFoundError"
    assert "elsewhere.duckdb not found: run `python pipelines/run.py`" in failure.value.evalue


@pytest.mark.e2e
def test_readme_example_queries_return_rows(project) -> None:
    queries = re.findall(r"```sql\n(.*?)```", _tour(), flags=re.DOTALL)
    assert len(queries) == 3
    with duckdb.connect(str(project / "amazon.duckdb"), read_only=True) as warehouse:
        for sql in queries:
            assert warehouse.execute(sql).fetchall(), sql


@pytest.mark.e2e
def test_dbt_docs_generate_documents_every_mart_offline(project) -> None:
    env = environment()
    env.pop("AMAZON_DUCKDB_PATH", None)  # README's way: from sql/, the profile's ../amazon.duckdb
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "docs", "generate", "--static"],
        cwd=project / "sql",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    target = project / "sql" / "target"
    catalog = json.loads((target / "catalog.json").read_text())
    documented = {
        node["metadata"]["name"]
        for node in catalog["nodes"].values()
        if node["metadata"]["schema"] == "main"
    }
    assert documented >= MARTS
    assert (target / "static_index.html").stat().st_size > 100_000
