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


# run before the notebook's cells: as each chart is shown, its x axes' tick labels as drawn
AXES_RECORDER = """
import matplotlib.dates as _mdates
import matplotlib.pyplot as _plt

_AXES, _show = [], _plt.show
_DATE_FORMATTERS = (_mdates.ConciseDateFormatter, _mdates.DateFormatter)


def _record(*args, **kwargs):
    for number in _plt.get_fignums():
        figure = _plt.figure(number)
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()
        for ax in figure.axes:
            low, high = sorted(ax.get_xlim())
            labels = [
                tick.label1 for tick in ax.xaxis.get_major_ticks()
                if tick.label1.get_visible() and tick.label1.get_text()
                and low <= tick.get_loc() <= high
            ]
            _AXES.append({
                "title": ax.get_title(),
                "labelled": ax.xaxis.get_tick_params(which="major").get("labelbottom", True),
                "dates": "date" in type(ax.xaxis.get_converter()).__name__.lower(),
                "date_formatter": isinstance(ax.xaxis.get_major_formatter(), _DATE_FORMATTERS),
                "labels": [label.get_text() for label in labels],
                "boxes": [list(label.get_window_extent(renderer).extents) for label in labels],
            })
    return _show(*args, **kwargs)


_plt.show = _record
"""
AXES_REPORT = "import json as _json\nprint(_json.dumps(_AXES))"


def _execute(cwd: Path, record_axes: bool = False) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    if record_axes:
        notebook.cells.insert(0, nbformat.v4.new_code_cell(AXES_RECORDER))
        notebook.cells.append(nbformat.v4.new_code_cell(AXES_REPORT))
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


@pytest.fixture(scope="module")
def executed(project) -> tuple[list[nbformat.NotebookNode], list[dict]]:
    """The notebook's code cells as run on the project's file, and every chart's x axes."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AMAZON_DUCKDB_PATH", raising=False)  # the default: the project's file
        notebook = _execute(project / "notebooks", record_axes=True)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    return code[1:-1], json.loads(_printed(code[-1]))


def _overlap(one: list[float], other: list[float]) -> bool:
    return one[0] < other[2] and other[0] < one[2] and one[1] < other[3] and other[1] < one[3]


@pytest.mark.e2e
def test_every_time_axis_has_few_date_labels_that_do_not_overlap(executed) -> None:
    _, axes = executed
    timed = [ax for ax in axes if ax["dates"] and ax["labelled"]]  # not those sharing a column
    assert {"sales per day, USD", ""} <= {ax["title"] for ax in timed}  # sales, ranks, coverage
    for ax in timed:
        assert ax["date_formatter"], ax["title"]  # dates, not the converter's raw numbers
        assert 1 <= len(ax["labels"]) <= 10, ax
    for ax in axes:
        boxes = ax["boxes"]
        clashes = [
            (ax["labels"][i], ax["labels"][j])
            for i in range(len(boxes))
            for j in range(i + 1, len(boxes))
            if _overlap(boxes[i], boxes[j])
        ]
        assert not clashes, (ax["title"], clashes)


@pytest.mark.e2e
def test_notebook_runs_top_to_bottom_and_every_chart_has_rows(project, executed) -> None:
    code, _ = executed
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
