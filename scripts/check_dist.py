"""Check what ``make dist`` built: the sdist and the wheel hold what a pip user needs.

    python scripts/check_dist.py dist

The sdist must carry the Cython sources, headers and stubs (a wheel is built from it), the
licence, tests, docs and examples, and no generated C; the wheel must carry the compiled
modules, the stubs, ``py.typed`` and the licence, and no C or Cython sources. Both must have
the version ``daphnelib.__version__`` of this tree. Exits non-zero naming each problem.
"""

from __future__ import annotations

import re
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tree_version() -> str:
    text = (ROOT / "daphnelib" / "__init__.py").read_text()
    m = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if m is None:
        raise SystemExit("daphnelib/__init__.py has no __version__")
    return m.group(1)


def native_files(suffix: str) -> set[str]:
    return {f"daphnelib/_native/{p.name}" for p in (ROOT / "daphnelib" / "_native").glob(suffix)}


def check_sdist(names: set[str], version: str) -> list[str]:
    prefix = f"daphnelib-{version}/"
    rel = {n.removeprefix(prefix) for n in names}
    required = (native_files("*.pyx") | native_files("*.pxd") | native_files("*.h")
                | native_files("*.pyi")
                | {"LICENSE", "README.md", "pyproject.toml", "setup.py", "MANIFEST.in",
                   "daphnelib/py.typed", "constraints.txt", "Makefile",
                   "tests/conftest.py", "docs/compatibility.md", "examples/demo.py"})
    problems = [f"sdist lacks {name}" for name in sorted(required - rel)]
    problems += [f"sdist ships generated or binary {n}" for n in sorted(rel)
                 if n.endswith((".c", ".so", ".o", ".pyc"))]
    return problems


def check_wheel(names: set[str], version: str) -> list[str]:
    required = {f"{n.removesuffix('.pyx')}" for n in native_files("*.pyx")}
    problems = [f"wheel lacks the compiled module {mod}" for mod in sorted(required)
                if not any(n.startswith(mod + ".") and n.endswith(".so") for n in names)]
    for name in sorted(native_files("*.pyi") | {"daphnelib/py.typed",
                                                 f"daphnelib-{version}.dist-info/licenses/LICENSE"}):
        if name not in names:
            problems.append(f"wheel lacks {name}")
    problems += [f"wheel ships source {n}" for n in sorted(names) if n.endswith((".c", ".pyx"))]
    return problems


def main(argv: list[str]) -> int:
    dist = Path(argv[1] if len(argv) > 1 else "dist")
    version = tree_version()
    sdists, wheels = sorted(dist.glob("*.tar.gz")), sorted(dist.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        print(f"expected one sdist and one wheel in {dist}, got {sdists + wheels}")
        return 1
    problems = []
    for path in (*sdists, *wheels):
        if f"-{version}" not in path.name:
            problems.append(f"{path.name} does not carry the version {version}")
    with tarfile.open(sdists[0]) as tar:
        problems += check_sdist(set(tar.getnames()), version)
    with zipfile.ZipFile(wheels[0]) as whl:
        problems += check_wheel(set(whl.namelist()), version)
    for line in problems:
        print(f"dist: {line}")
    if not problems:
        print(f"dist: {sdists[0].name} and {wheels[0].name} hold what they should")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
