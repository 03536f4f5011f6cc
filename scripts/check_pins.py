"""Check that the container images pin the same versions CI tests (constraints.txt).

    python scripts/check_pins.py

Exits non-zero naming each package whose pinned versions differ. The container's
``tensorflow`` is compared with CI's ``tensorflow-cpu`` and the Dockerfile's TORCH_VERSION
with CI's ``torch``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Same release, different distribution name on the two sides.
ALIASES = {"tensorflow": "tensorflow-cpu"}


def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line)
        if m:
            out[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2)
    return out


def main() -> int:
    ci = pins(ROOT / "constraints.txt")
    image = pins(ROOT / "containers" / "requirements.txt")
    runtime = pins(ROOT / "containers" / "runtime-requirements.txt")
    clash = sorted(n for n in runtime.keys() & image.keys() if runtime[n] != image[n])
    if clash:
        print(f"build and runtime images pin different versions of {clash}")
        return 1
    image |= runtime
    m = re.search(r"ARG TORCH_VERSION=(\S+)", (ROOT / "containers" / "Dockerfile").read_text())
    if m is None:
        print("containers/Dockerfile has no ARG TORCH_VERSION")
        return 1
    image["torch"] = m.group(1)
    bad = [
        f"{name}: container {version}, CI {ci[ALIASES.get(name, name)]}"
        for name, version in image.items()
        if ALIASES.get(name, name) in ci and ci[ALIASES.get(name, name)] != version
    ]
    for line in bad:
        print(f"pin mismatch: {line}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
