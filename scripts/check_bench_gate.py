"""Check that the regression gate (``make bench-compare``) fails on a slowed commit.

    python scripts/check_bench_gate.py [--sleep SECONDS] [--keep]

In a temporary clone of this repository it commits a throwaway change that sleeps in
``import daphnelib`` (the cold-start path), runs ``make bench-compare BASE=HEAD~1
HEAD=HEAD``, and asserts that the target exits non-zero and that asv's table marks the
cold-start import of ours as slower. The clone re-uses this repository's asv environments
(``.asv/env``, linked), so a run costs two wheel builds and the gated benchmarks (about 5-10
minutes on 2 cores; the first ever run also builds the environment). Run it with the
interpreter of a venv that has asv (``.venv/bin/python``); not part of ``make test``.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
SLOWED = re.compile(r"^\|?\s*\+\s.*bench_core\.ColdStart\.timeraw_import\('ours'\)", re.M)


def git(*args: str, cwd: pathlib.Path) -> str:
    return subprocess.run(["git", "-c", "user.name=gate check", "-c",
                           "user.email=gate-check@localhost", *args],
                          cwd=cwd, check=True, capture_output=True, text=True).stdout


def slowed_clone(where: pathlib.Path, sleep: float) -> pathlib.Path:
    """A clone of this repository whose HEAD adds ``sleep`` seconds to ``import daphnelib``."""
    clone = where / "repo"
    git("clone", "-q", str(ROOT), str(clone), cwd=where)
    init = clone / "daphnelib" / "__init__.py"
    init.write_text(init.read_text() + f"\nimport time as _time\n\n_time.sleep({sleep})\n")
    git("commit", "-q", "-am", f"throwaway: sleep {sleep}s in import daphnelib", cwd=clone)
    envs = ROOT / ".asv" / "env"
    envs.mkdir(parents=True, exist_ok=True)
    (clone / ".asv").mkdir()
    (clone / ".asv" / "env").symlink_to(envs)
    return clone


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sleep", type=float, default=1.5,
                        help="seconds added to import daphnelib (default 1.5)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone")
    args = parser.parse_args(argv)
    where = pathlib.Path(tempfile.mkdtemp(prefix="daphnelib-gate-"))
    try:
        clone = slowed_clone(where, args.sleep)
        cmd = ["make", "bench-compare", "BASE=HEAD~1", "HEAD=HEAD", f"VENV={sys.prefix}"]
        print("$", " ".join(cmd), f"(in {clone})", flush=True)
        proc = subprocess.run(cmd, cwd=clone, capture_output=True, text=True)
        print(proc.stdout[-6000:], proc.stderr[-3000:], sep="\n")
        if proc.returncode == 0:
            print("FAIL: bench-compare passed a commit that sleeps in import daphnelib")
            return 1
        if not SLOWED.search(proc.stdout):
            print(f"FAIL: bench-compare exited {proc.returncode}, but not because the "
                  "cold-start import got slower (see the output above)")
            return 1
        print(f"OK: bench-compare exited {proc.returncode} and marked the cold-start import "
              "as slower")
        return 0
    finally:
        if args.keep:
            print(f"clone kept in {where}")
        else:
            shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
