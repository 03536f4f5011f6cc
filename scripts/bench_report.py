"""Print the latest asv results as a short text table, with ratios against the reference
paths the benchmarks time in the same run.

    python scripts/bench_report.py [--results DIR]      (make bench-report; after make bench)

References are found three ways:

- a parameter named ``engine``: the ``ours`` value against every other engine (pandas,
  DuckDB, pyarrow, a library's own copy) at the same other parameters;
- a ``time_floor_<x>`` sibling of ``time_<x>`` in the same class: the library's own
  zero-copy path (torch-native, TensorFlow-native);
- ``EXPLICIT`` below (cold start against importing numpy and pandas).

A ratio is ours / reference: below 1 we are faster (or use less memory). For every
benchmark the newest result (by start time) over all result files is used.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import pathlib
import sys
from collections.abc import Iterator
from typing import NamedTuple

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXPLICIT = {
    "bench_core.ColdStart.track_import_daphnelib": {
        "numpy import": "bench_core.ColdStart.track_import_numpy",
        "pandas import": "bench_core.ColdStart.track_import_pandas"},
}


class Result(NamedTuple):
    params: list[list[str]]  # the values of each parameter, as asv writes them (repr)
    values: list[float | None]  # one per combination (itertools.product order)
    unit: str
    param_names: list[str]


def load(results_dir: pathlib.Path) -> dict[str, Result]:
    """Benchmark name -> its newest result over every machine's result files."""
    meta = json.loads((results_dir / "benchmarks.json").read_text())
    newest: dict[str, tuple[int, Result]] = {}
    for path in sorted(results_dir.glob("*/*.json")):
        if path.name == "machine.json":
            continue
        data = json.loads(path.read_text())
        cols = data["result_columns"]
        for name, row in data["results"].items():
            if name not in meta:
                continue  # a benchmark that no longer exists
            entry = dict(zip(cols, row, strict=False))
            started = entry.get("started_at") or 0
            if name not in newest or started > newest[name][0]:
                info = meta[name]
                values = entry["result"]
                if not isinstance(values, list):
                    values = [values]
                newest[name] = (started, Result(entry.get("params") or [], values,
                                                info.get("unit", ""), info["param_names"]))
    return {name: result for name, (_, result) in newest.items()}


def combos(result: Result) -> list[dict[str, str]]:
    return [dict(zip(result.param_names, combo, strict=True))
            for combo in itertools.product(*result.params)]


def value_at(result: Result, wanted: dict[str, str]) -> float | None:
    for combo, value in zip(combos(result), result.values, strict=False):
        if combo == wanted:
            return value
    return None


def fmt(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit == "seconds":
        for scale, suffix in ((1, "s"), (1e-3, "ms"), (1e-6, "us")):
            if value >= scale:
                return f"{value / scale:.3g}{suffix}"
        return f"{value * 1e9:.3g}ns"
    if unit == "bytes":
        return f"{value / 2**20:,.0f}MiB"
    if unit == "MiB":
        return f"{value:,.1f}MiB"
    return f"{value:.4g}{unit}"


def ratio(ours: float | None, ref: float | None) -> str:
    if ours is None or ref is None or ref == 0 or math.isnan(ours) or math.isnan(ref):
        return ""
    return f"{ours / ref:.2f}x"


def rows(results: dict[str, Result]) -> Iterator[tuple[str, str, str, list[str]]]:
    """(benchmark, parameters, our value, ["reference value ratio", ...]) per line."""
    hidden = {ref for refs in EXPLICIT.values() for ref in refs.values()}
    hidden |= {name for name in results if ".time_floor_" in name}
    for name in sorted(set(results) - hidden):
        result = results[name]
        engines = (result.params[result.param_names.index("engine")]
                   if "engine" in result.param_names else [])
        floor_name = name.replace(".time_", ".time_floor_", 1)
        floor = results.get(floor_name) if floor_name != name else None
        for combo, value in zip(combos(result), result.values, strict=False):
            if combo.get("engine", "'ours'") != "'ours'" or value is None:
                continue  # a reference (shown next to ours), or skipped (n/a)
            refs = [(e.strip("'"), value_at(result, {**combo, "engine": e}))
                    for e in engines if e != "'ours'"]
            if floor is not None:
                refs.append(("native", value_at(floor, combo)))
            refs += [(label, results[ref].values[0])
                     for label, ref in EXPLICIT.get(name, {}).items() if ref in results]
            params = ", ".join(v.strip("'") for k, v in combo.items() if k != "engine")
            yield name, params, fmt(value, result.unit), [
                f"{label} {fmt(ref, result.unit)} {ratio(value, ref)}".rstrip()
                for label, ref in refs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=pathlib.Path, default=ROOT / ".asv" / "results",
                        help="asv results directory (default: .asv/results)")
    args = parser.parse_args(argv)
    if not (args.results / "benchmarks.json").exists():
        print(f"no asv results in {args.results}: run `make bench` first", file=sys.stderr)
        return 1
    results = load(args.results)
    if not results:
        print(f"no saved results in {args.results}: run `make bench` first", file=sys.stderr)
        return 1
    table = list(rows(results))
    w_name = max(len(r[0]) for r in table)
    w_params = max(len("parameters"), *(len(r[1]) for r in table))
    print(f"{'benchmark':{w_name}s}  {'parameters':{w_params}s}  {'ours':>9s}  "
          "references (ours / reference)")
    for name, params, ours, refs in table:
        print(f"{name:{w_name}s}  {params:{w_params}s}  {ours:>9s}  {' | '.join(refs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
