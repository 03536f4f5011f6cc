"""The ``daphnelib`` command, run as a subprocess: exit statuses, exact stdout, empty stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DSL = Path(__file__).parent / "dsl"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "daphnelib", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


@pytest.fixture
def script(tmp_path: Path):
    def write(text: str, name: str = "s.daphne") -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def test_run_prints_exactly_the_script_output() -> None:
    proc = run("run", str(DSL / "functions.daphne"))
    assert proc.returncode == 0
    assert proc.stderr == ""
    assert proc.stdout == (DSL / "functions.txt").read_text()


def test_script_arguments_both_forms_and_daphne_options(script) -> None:
    path = script("print($a); print($b); print($c); print($s); print($t);")
    # DAPHNE's own command line: options before the script, --args, name=value after it,
    # and performance/representation flags that must not change the output.
    proc = run("--vec", "--select-matrix-repr", "--columnar", "--num-threads", "4",
               "--libdir=/nowhere", "--args", 'a=123,s="x,y"', path, "b=-123.45", "c=1.2e5f",
               "t=true")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == "123\n-123.45\n120000\nx,y\n1\n"


def test_script_argument_values_printed(capfd: pytest.CaptureFixture[str]) -> None:
    # The printed forms of spec daphnedsl.md §3.9 (in-process, for speed).
    from daphnelib.dsl import run_script

    cases = [("123", "123"), ("-123.45", "-123.45"), ("true", "1"), ("12.34f", "12.34"),
             ("1.2e5f", "120000"), ("1E-14", "1e-14"), ("nan", "nan"), ("-inf", "-inf")]
    for value, _ in cases:
        run_script("print($foo);", args={"foo": value})
    out, err = capfd.readouterr()
    assert out == "".join(p + "\n" for _, p in cases)
    assert err == ""


@pytest.mark.parametrize(("args", "message"), [
    (["n=1+2"], "must be a single literal"),
    (["n=1", "n=2"], "given twice"),
    (["--args", "n=abc"], "must be a single literal"),
    ([], "script argument $n is not given"),
])
def test_bad_script_arguments_are_parser_errors(script, args: list[str], message: str) -> None:
    path = script("print($n);")
    first = args[:2] if args[:1] == ["--args"] else []
    rest = args[2:] if first else args
    proc = run("run", *first, path, *rest)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert message in proc.stderr and proc.stderr.startswith("[error]: Parser error: ")


def test_exit_statuses(script) -> None:
    syntax = run("run", script("print(1)\nprint(2);"))
    assert syntax.returncode == 1 and syntax.stdout == ""
    assert "s.daphne:2:1: expected ';'" in syntax.stderr
    compile_error = run("run", script("x = 1 % 0;"))
    assert compile_error.returncode == 2 and "Can't compute mod 0" in compile_error.stderr
    stop = run("run", script('print("before");\nstop("custom reason");\nprint("after");'))
    assert (stop.returncode, stop.stdout) == (3, "before\n")
    assert stop.stderr == "[error]: Execution error: system stopped: custom reason\n"
    stop_plain = run("run", script("stop();"))
    assert "system stopped: unspecified reason" in stop_plain.stderr
    runtime = run("run", script("X = fill(1, 2, 3);\nprint(1);\nY = X @ X;"))
    assert (runtime.returncode, runtime.stdout) == (3, "1\n")
    assert "s.daphne:3:7:" in runtime.stderr and "'@'" in runtime.stderr


def test_explain_prints_the_ir_without_running(script) -> None:
    path = script("X = fill(2.5, 2, 2);\nfor (i in 1:3) X = X + i;\nprint(sum(X));")
    proc = run("--explain", path)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines() == [
        "V0 = fill(2.5, 2, 2)  : matrix",
        "V1 = for(1, 3, None, block1, 1, V0)  : none",
        "  block1 (params V0..V1):",
        "    V2 = +(V1, V0)  : matrix",
        "    V3 = results(V2)  : none",
        "V2 = item(V1, 0)  : matrix",
        "V3 = sum(V2)  : scalar",
        "V4 = print(V3)  : none",
    ]


def test_config_import_paths(tmp_path: Path) -> None:
    libdir = tmp_path / "mylibs"
    (libdir / "algorithms").mkdir(parents=True)
    (libdir / "helpers.daphne").write_text("def twice(x) { return 2 * x; }\n")
    (libdir / "algorithms" / "a.daphne").write_text("k = 10;\n")
    (libdir / "algorithms" / "b.daphne").write_text('def hi() { print("hi"); }\n')
    config = tmp_path / "UserConfig.json"
    config.write_text(json.dumps({"daphnedsl_import_paths": {
        "default_dirs": [str(libdir)], "algorithms": [str(libdir / "algorithms")]}}))
    main = tmp_path / "main.daphne"
    main.write_text('import "helpers.daphne";\nimport "algorithms";\n'
                    "print(helpers.twice(algorithms.a.k));\nalgorithms.b.hi();\n")
    proc = run("run", f"--config={config}", str(main))
    assert (proc.returncode, proc.stderr, proc.stdout) == (0, "", "20\nhi\n")
    missing = run("run", str(main))
    assert missing.returncode == 1 and "cannot import 'helpers.daphne'" in missing.stderr


def test_missing_script_and_usage(tmp_path: Path) -> None:
    proc = run("run", str(tmp_path / "missing.daphne"))
    assert proc.returncode == 1 and "cannot read script" in proc.stderr
    usage = run()
    assert usage.returncode == 1 and "usage: daphnelib run" in usage.stderr


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).with_name("daphnelib")
    if not exe.exists():
        pytest.skip("daphnelib is not installed with its console script in this environment")
    proc = subprocess.run([str(exe), str(DSL / "operators.daphne")], capture_output=True,
                          text=True, timeout=120)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == (DSL / "operators.txt").read_text()


def test_print_to_stderr(script) -> None:
    proc = run("run", script('print("out"); print("err", true, true); print(7, err=true);'))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "out\n", "err\n7\n")


def test_version_help_and_unknown_options(script) -> None:
    from daphnelib import __version__

    version = run("--version")
    assert (version.returncode, version.stdout, version.stderr) == (
        0, f"daphnelib {__version__}\n", "")
    helped = run("run", "--help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: daphnelib run")
    for flag in ("--vec", "--select-matrix-repr", "--num-threads=VALUE", "--libdir=VALUE"):
        assert flag in helped.stdout.replace("-\n  ", "-").replace("\n  ", " ")
    path = script("print(1);")
    for argv in (["run", "--no-such-flag", path], ["--no-such-flag", path],
                 ["run", path, "--vecc"]):
        proc = run(*argv)
        assert proc.returncode == 1 and proc.stdout == ""
        assert "unrecognized arguments: --" in proc.stderr and "usage: daphnelib run" in proc.stderr
    # Options may follow the script, as on DAPHNE's command line.
    proc = run(path, "--vec", "--num-threads", "2")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "1\n", "")
