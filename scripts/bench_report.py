"""Report the asv results as ratios against the reference paths timed in the same run.

    python scripts/bench_report.py [--results DIR] [--plots DIR] [--branch main]

(``make bench-report``, after ``make bench`` or ``make bench-history``.) Prints a text table
of the newest result of every benchmark; with ``--plots``, also writes, per benchmark
family, a plot of our time as a ratio to each reference across the commits of ``--branch``
(``<family>.png`` and ``<family>.html`` with the numbers, and an ``index.html``).

References are found three ways:

- a parameter named ``engine``: the ``ours`` value against every other engine (numpy,
  pandas, DuckDB, pyarrow, a library's own copy) at the same other parameters;
- a ``time_floor_<x>`` sibling of ``time_<x>`` in the same class: the library's own
  zero-copy path (torch-native, TensorFlow-native);
- ``EXPLICIT`` below (a benchmark timed against another benchmark by name).

A ratio is ours / reference: below 1 we are faster (or use less memory). Both values of a
ratio on a plot come from the same commit's run.
"""

from __future__ import annotations

import argparse
import html
import itertools
import json
import math
import pathlib
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import NamedTuple

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXPLICIT: dict[str, dict[str, str]] = {}
# (file name, title, benchmark-name pattern); a benchmark matching none is plotted in a
# family named after its module.
FAMILIES = [
    ("cold-start", "Cold start (fresh interpreter)", r"bench_core\.ColdStart\."),
    ("compute-overhead", "compute() fixed overhead", r"bench_core\.ComputeOverhead\."),
    ("exchange-numpy", "Exchange: numpy", r"bench_core\.NumpyRoundTrip\."),
    ("exchange-pandas", "Exchange: pandas", r"bench_pandas\."),
    ("exchange-torch", "Exchange: PyTorch", r"bench_tensors\.PyTorch\."),
    ("exchange-tensorflow", "Exchange: TensorFlow", r"bench_tensors\.TensorFlow\."),
    ("sql-joins", "SQL, joins and group-by", r"bench_sql\."),
    ("memory", "Memory of zero-copy round trips", r"bench_memory\."),
    ("pipelines", "Elementwise pipelines", r"bench_pipelines\."),
]


class Result(NamedTuple):
    params: list[list[str]]  # the values of each parameter, as asv writes them (repr)
    values: list[float | None]  # one per combination (itertools.product order)
    unit: str
    param_names: list[str]
    started: int  # when asv started this benchmark (ms since the epoch)


class Run(NamedTuple):
    commit: str
    results: dict[str, Result]


class Comparison(NamedTuple):
    name: str
    params: str  # the parameters other than the engine, comma-separated
    value: float
    unit: str
    refs: list[tuple[str, float | None]]  # (reference label, its value)


def load_runs(results_dir: pathlib.Path) -> list[Run]:
    """One Run per commit with saved results: per benchmark, the newest over every machine
    and environment that ran that commit."""
    meta = json.loads((results_dir / "benchmarks.json").read_text())
    by_commit: dict[str, dict[str, Result]] = {}
    for path in sorted(results_dir.glob("*/*.json")):
        if path.name == "machine.json":
            continue
        data = json.loads(path.read_text())
        cols = data["result_columns"]
        results = by_commit.setdefault(data["commit_hash"], {})
        for name, row in data["results"].items():
            if name not in meta:
                continue  # a benchmark that no longer exists
            entry = dict(zip(cols, row, strict=False))
            started = entry.get("started_at") or 0
            if name in results and results[name].started >= started:
                continue
            values = entry["result"]
            if not isinstance(values, list):
                values = [values]
            info = meta[name]
            results[name] = Result(entry.get("params") or [], values, info.get("unit", ""),
                                   info["param_names"], started)
    return [Run(commit, results) for commit, results in by_commit.items()]


def newest(runs: list[Run]) -> dict[str, Result]:
    """Benchmark name -> its newest result over every run."""
    out: dict[str, Result] = {}
    for run in runs:
        for name, result in run.results.items():
            if name not in out or result.started > out[name].started:
                out[name] = result
    return out


def combos(result: Result) -> list[dict[str, str]]:
    return [dict(zip(result.param_names, combo, strict=True))
            for combo in itertools.product(*result.params)]


def value_at(result: Result, wanted: dict[str, str]) -> float | None:
    for combo, value in zip(combos(result), result.values, strict=False):
        if combo == wanted:
            return value
    return None


def comparisons(results: dict[str, Result]) -> Iterator[Comparison]:
    """Each of our measurements with the references measured next to it."""
    hidden = {ref for refs in EXPLICIT.values() for ref in refs.values()}
    hidden |= {name for name in results if ".time_floor_" in name}
    for name in sorted(set(results) - hidden):
        result = results[name]
        engines = (result.params[result.param_names.index("engine")]
                   if "engine" in result.param_names else [])
        floor_name = name.replace(".time_", ".time_floor_", 1)
        floor = results.get(floor_name) if floor_name != name else None
        for combo, value in zip(combos(result), result.values, strict=False):
            if combo.get("engine", "'ours'") != "'ours'" or not is_number(value):
                continue  # a reference (shown next to ours), or skipped (n/a)
            refs = [(e.strip("'"), value_at(result, {**combo, "engine": e}))
                    for e in engines if e != "'ours'"]
            if floor is not None:
                refs.append(("native", value_at(floor, combo)))
            refs += [(label, results[ref].values[0])
                     for label, ref in EXPLICIT.get(name, {}).items() if ref in results]
            params = ", ".join(v.strip("'") for k, v in combo.items() if k != "engine")
            yield Comparison(name, params, value, result.unit, refs)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not math.isnan(value)


def ratio(ours: float | None, ref: float | None) -> float | None:
    if not is_number(ours) or not is_number(ref) or ref == 0:
        return None
    return ours / ref


def fmt(value: float | None, unit: str) -> str:
    if not is_number(value):
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


def fmt_ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}x"


def print_table(results: dict[str, Result]) -> None:
    table = [(c.name, c.params, fmt(c.value, c.unit),
              [f"{label} {fmt(ref, c.unit)} {fmt_ratio(ratio(c.value, ref))}".rstrip()
               for label, ref in c.refs])
             for c in comparisons(results)]
    w_name = max(len(r[0]) for r in table)
    w_params = max(len("parameters"), *(len(r[1]) for r in table))
    print(f"{'benchmark':{w_name}s}  {'parameters':{w_params}s}  {'ours':>9s}  "
          "references (ours / reference)")
    for name, params, ours, refs in table:
        print(f"{name:{w_name}s}  {params:{w_params}s}  {ours:>9s}  {' | '.join(refs)}")


def family_of(name: str) -> tuple[str, str]:
    """(file name, title) of the family a benchmark is plotted in."""
    for slug, title, pattern in FAMILIES:
        if re.match(pattern, name):
            return slug, title
    module = name.split(".", 1)[0]
    return module, module


def branch_commits(branch: str) -> list[str]:
    """The commits of ``branch``, oldest first (first parents only, as asv orders them)."""
    out = subprocess.run(["git", "rev-list", "--first-parent", "--reverse", branch],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return out.split()


# One line per (benchmark, parameters, reference); values ours / reference per commit.
Series = dict[tuple[str, str, str], dict[str, float]]


def ratio_series(runs: list[Run]) -> dict[tuple[str, str], Series]:
    """(family file name, title) -> its ratio lines across the runs."""
    families: dict[tuple[str, str], Series] = {}
    for run in runs:
        for c in comparisons(run.results):
            for label, ref in c.refs:
                r = ratio(c.value, ref)
                if r is None:
                    continue
                short = c.name.split(".", 1)[1]
                line = families.setdefault(family_of(c.name), {})
                line.setdefault((short, c.params, label), {})[run.commit] = r
    return families


def write_plots(runs: list[Run], order: list[str], out: pathlib.Path) -> list[pathlib.Path]:
    """A PNG and an HTML page per family, and an index; returns the pages written."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter

    as_ratio = FuncFormatter(lambda v, _: f"{v:g}x")

    out.mkdir(parents=True, exist_ok=True)
    position = {commit: i for i, commit in enumerate(order)}
    runs = sorted((r for r in runs if r.commit in position), key=lambda r: position[r.commit])
    commits = [r.commit for r in runs]
    pages = []
    for (slug, title), lines in sorted(ratio_series(runs).items()):
        fig, ax = plt.subplots(figsize=(10, 5.5))
        positive = all(v > 0 for line in lines.values() for v in line.values())
        for (bench, params, label), points in sorted(lines.items()):
            xs = [i for i, c in enumerate(commits) if c in points]
            name = f"{bench}({params}) / {label}" if params else f"{bench} / {label}"
            ax.plot(xs, [points[commits[i]] for i in xs], marker="o", label=name)
        if positive:
            ax.set_yscale("log")
        ax.yaxis.set_major_formatter(as_ratio)
        ax.yaxis.set_minor_formatter(as_ratio)
        ax.tick_params(axis="y", which="minor", labelsize=7)
        ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
        ax.set_xticks(range(len(commits)), [c[:8] for c in commits], rotation=45,
                      ha="right", fontsize=8)
        ax.set_xlim(-0.5, max(len(commits) - 0.5, 0.5))
        ax.set_xlabel("commit (oldest to newest)")
        ax.set_ylabel("ours / reference (below 1: ours is faster or smaller)")
        ax.set_title(f"{title}: ratio to each reference, per commit")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.savefig(out / f"{slug}.png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        (out / f"{slug}.html").write_text(family_page(title, slug, commits, lines))
        pages.append(out / f"{slug}.html")
    links = "".join(f'<li><a href="{p.name}">{p.stem}</a></li>' for p in pages)
    (out / "index.html").write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>daphnelib ratios</title>"
        f"</head><body><h1>daphnelib: ours / reference across commits</h1>"
        f"<p>{len(commits)} commits with results. asv's own dashboard: "
        f"<a href='../index.html'>../index.html</a>.</p><ul>{links}</ul></body></html>\n")
    return pages


def family_page(title: str, slug: str, commits: list[str], lines: Series) -> str:
    head = "".join(f"<th>{c[:8]}</th>" for c in commits)
    body = "".join(
        f"<tr><td>{html.escape(bench)}</td><td>{html.escape(params)}</td>"
        f"<td>{html.escape(label)}</td>"
        + "".join(f"<td>{fmt_ratio(points.get(c))}</td>" for c in commits) + "</tr>"
        for (bench, params, label), points in sorted(lines.items()))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>td,th{{padding:2px 8px;text-align:right}}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p>ours / reference, both measured in the same run "
            f"of each commit; below 1 ours is faster (or smaller). "
            f"<a href='index.html'>all families</a></p><img src='{slug}.png' alt='{slug}'>"
            f"<table><tr><th>benchmark</th><th>parameters</th><th>reference</th>{head}</tr>"
            f"{body}</table></body></html>\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=pathlib.Path, default=ROOT / ".asv" / "results",
                        help="asv results directory (default: .asv/results)")
    parser.add_argument("--plots", type=pathlib.Path,
                        help="write the per-family ratio plots (PNG + HTML) here")
    parser.add_argument("--branch", default="main",
                        help="plot the commits of this branch, in its order (default: main)")
    args = parser.parse_args(argv)
    if not (args.results / "benchmarks.json").exists():
        print(f"no asv results in {args.results}: run `make bench` first", file=sys.stderr)
        return 1
    runs = load_runs(args.results)
    results = newest(runs)
    if not results:
        print(f"no saved results in {args.results}: run `make bench` first", file=sys.stderr)
        return 1
    print_table(results)
    if args.plots is not None:
        pages = write_plots(runs, branch_commits(args.branch), args.plots)
        print(f"\n{len(pages)} ratio plots (PNG + HTML), one per family: "
              f"{args.plots / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
