"""Fixtures for the backends: the libdaphnelib test double, compiled once per session, and
an in-process Dask cluster per test module (``client``).

``daphne_lib_dir`` is a directory laid out like DAPHNE's ``lib``: ``libdaphnelib.so`` (the
double, ``libdaphnelib_double/libdaphnelib.cpp`` built with the system C++ compiler against
this interpreter's headers; it embeds the running interpreter) and ``libAllKernels.so``
(an empty library: DAPHNE needs it beside libdaphnelib, the double only checks it is
there). Tests that need it skip, with the reason, where no C++ compiler is available.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sysconfig
from collections.abc import Iterator
from typing import Any

import pytest

DOUBLE = pathlib.Path(__file__).parent / "libdaphnelib_double"
RUNNER = "backends.libdaphnelib_double.runner"  # tests/ is on sys.path (rootdir conftest)


def _compiler() -> str | None:
    return os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")


@pytest.fixture(scope="session")
def daphne_lib_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    cxx = _compiler()
    if cxx is None:
        pytest.skip("no C++ compiler (g++/c++ or $CXX) to build the libdaphnelib test double")
    out = tmp_path_factory.mktemp("daphne-lib")
    include = sysconfig.get_paths()["include"]
    build = [cxx, "-std=c++17", "-O1", "-shared", "-fPIC", f"-I{include}",
             f'-DDOUBLE_RUNNER="{RUNNER}"', str(DOUBLE / "libdaphnelib.cpp"),
             "-o", str(out / "libdaphnelib.so")]
    kernels = [cxx, "-shared", "-fPIC", "-x", "c++", "/dev/null", "-o",
               str(out / "libAllKernels.so")]
    for cmd in (build, kernels):
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.fail(f"building the libdaphnelib test double failed:\n{' '.join(cmd)}\n"
                        f"{done.stderr}")
    return str(out)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """An in-process Dask cluster (one worker, two threads), one per test module."""
    from distributed import Client, LocalCluster

    with LocalCluster(processes=False, n_workers=1, threads_per_worker=2,
                      dashboard_address=":0") as cluster, Client(cluster,
                                                                 set_as_default=False) as c:
        yield c
