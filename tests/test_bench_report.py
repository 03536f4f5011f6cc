"""scripts/bench_report.py on hand-made asv results: ratios per commit, one plot per family."""

from __future__ import annotations

import importlib.util
import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_report", ROOT / "scripts" / "bench_report.py")
assert _spec is not None and _spec.loader is not None
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)

COLS = ["result", "params", "version", "started_at", "duration"]
META = {
    "bench_core.ColdStart.timeraw_import": {
        "param_names": ["engine"], "unit": "seconds"},
    "bench_sql.InnerJoin.time_inner_join_1e6": {
        "param_names": ["engine"], "unit": "seconds"},
    "bench_tensors.PyTorch.time_from": {"param_names": ["elements"], "unit": "seconds"},
    "bench_tensors.PyTorch.time_floor_from": {"param_names": ["elements"], "unit": "seconds"},
    "bench_other.Thing.time_x": {"param_names": ["engine"], "unit": "seconds"},
}


def write_run(results: pathlib.Path, commit: str, env: str, started: int,
              values: dict[str, tuple[list[list[str]], list[float | None]]]) -> None:
    rows = {name: [vals, params, "v", started, 1.0] for name, (params, vals) in values.items()}
    (results / "m").mkdir(parents=True, exist_ok=True)
    (results / "m" / f"{commit[:8]}-{env}.json").write_text(json.dumps(
        {"commit_hash": commit, "env_name": env, "result_columns": COLS, "results": rows}))


@pytest.fixture
def results(tmp_path: pathlib.Path) -> pathlib.Path:
    out = tmp_path / "results"
    out.mkdir()
    (out / "benchmarks.json").write_text(json.dumps(META))
    (out / "m").mkdir()
    (out / "m" / "machine.json").write_text("{}")
    engines = [["'ours'", "'numpy'", "'pandas'"]]
    sql = [["'ours'", "'pandas'", "'duckdb'"]]
    sizes = [["1000", "1000000"]]
    for i, commit in enumerate(["a" * 40, "b" * 40]):
        write_run(out, commit, "venv", 100 + i, {
            "bench_core.ColdStart.timeraw_import": (engines, [0.3 * (i + 1), 0.1, 0.6]),
            "bench_sql.InnerJoin.time_inner_join_1e6": (sql, [2.0, 4.0, None]),
            "bench_tensors.PyTorch.time_from": (sizes, [1e-6, 2e-6]),
            "bench_tensors.PyTorch.time_floor_from": (sizes, [5e-7, 4e-6]),
            "bench_other.Thing.time_x": ([["'ours'", "'ref'"]], [1.0, 2.0]),
        })
    # An older run of commit a in another environment: the newer one above wins.
    write_run(out, "a" * 40, "existing", 50, {
        "bench_core.ColdStart.timeraw_import": (engines, [9.0, 9.0, 9.0])})
    return out


def test_newest_result_per_commit_and_ratios(results: pathlib.Path) -> None:
    runs = {run.commit: run for run in report.load_runs(results)}
    assert sorted(runs) == ["a" * 40, "b" * 40]
    cold = [c for c in report.comparisons(runs["a" * 40].results)
            if c.name == "bench_core.ColdStart.timeraw_import"]
    assert cold == [report.Comparison("bench_core.ColdStart.timeraw_import", "", 0.3,
                                      "seconds", [("numpy", 0.1), ("pandas", 0.6)])]
    torch = [c for c in report.comparisons(runs["b" * 40].results)
             if c.name == "bench_tensors.PyTorch.time_from"]
    assert [(c.params, c.value, c.refs) for c in torch] == [
        ("1000", 1e-6, [("native", 5e-7)]), ("1000000", 2e-6, [("native", 4e-6)])]


def test_one_plot_per_family_with_a_point_per_commit(results: pathlib.Path,
                                                     tmp_path: pathlib.Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "plots"
    runs = report.load_runs(results)
    # "c..." has no results; commits not on the branch order are left out.
    pages = report.write_plots(runs, ["c" * 40, "b" * 40, "a" * 40], out)
    assert sorted(p.name for p in pages) == [
        "bench_other.html", "cold-start.html", "exchange-torch.html", "sql-joins.html"]
    for page in pages:
        png = page.with_suffix(".png")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    series = report.ratio_series(runs)
    cold = series[("cold-start", "Cold start (fresh interpreter)")]
    assert cold[("ColdStart.timeraw_import", "", "numpy")] == {
        "a" * 40: pytest.approx(3.0), "b" * 40: pytest.approx(6.0)}
    # DuckDB did not run (None): no ratio, not a zero.
    sql = series[("sql-joins", "SQL, joins and group-by")]
    assert set(sql) == {("InnerJoin.time_inner_join_1e6", "", "pandas")}
    page = (out / "cold-start.html").read_text()
    assert page.index("bbbbbbbb") < page.index("aaaaaaaa")  # the branch's order
    assert "3.00x" in page and "6.00x" in page
    assert 'href="cold-start.html"' in (out / "index.html").read_text()
