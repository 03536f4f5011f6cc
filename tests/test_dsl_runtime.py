"""Running DaphneDSL scripts in-process: file I/O, results, run-time errors and their lines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from daphnelib.dsl import (
    ExecutionError,
    ParseError,
    compile_script,
    explain,
    run_script,
)


def test_matrix_and_frame_files_with_meta(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    m, f = tmp_path / "m.csv", tmp_path / "f.csv"
    script = """
        X = [1.5, -2, 3e10, 4](2, 2);
        writeMatrix(X, $m);
        print(readMatrix($m));
        F = {"id": [1, 2], "name": ["a,b", "c"]};
        writeFrame(F, $f);
        G = readFrame($f);
        print(G);
        write(X, $m2);
        print(sum(readMatrix($m2)) == sum(X));
    """
    run_script(script, args={"m": f'"{m}"', "f": f'"{f}"', "m2": f'"{tmp_path / "w.csv"}"'})
    assert capsys.readouterr().out == (
        "DenseMatrix(2x2, double)\n1.5 -2\n3e+10 4\n"
        "Frame(2x2, [id:int64_t, name:std::string])\n1 a,b\n2 c\n1\n")
    assert json.loads(Path(str(m) + ".meta").read_text())["valueType"] == "f64"
    schema = json.loads(Path(str(f) + ".meta").read_text())["schema"]
    assert [c["label"] for c in schema] == ["id", "name"]


def test_file_name_computed_at_run_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    run_script('for (i in 1:2) { writeMatrix(fill(i, 1, 1), $d + "/m" + i + ".csv"); }\n'
               'print(readMatrix($d + "/m2.csv"));', args={"d": f'"{tmp_path}"'})
    assert capsys.readouterr().out == "DenseMatrix(1x1, int64_t)\n2\n"


def test_result_of_a_generated_script() -> None:
    value = run_script("V0 = fill(3, 2, 2);\nV1 = V0 * 2;\nsaveDaphneLibResult(V1);")
    np.testing.assert_array_equal(value, np.full((2, 2), 6))
    assert value.dtype == np.int64


@pytest.mark.parametrize(("source", "line", "col", "text"), [
    ("X = fill(1, 2, 3);\nY = X @ X;", 2, 7, "'@'"),
    ("def f(m) {\n  return m @ m;\n}\nx = f(fill(1, 2, 3));", 2, 12, "'@'"),
    ("for (i in 1:2) {\n  if (i == 2) {\n    x = fill(1, 2, 3) @ fill(1, 2, 3);\n  }\n}",
     3, 23, "'@'"),
    ("if ([1, 2]) print(1);", 1, 1, "must be a single value"),
    ("for (i in 1:5:0) print(i);", 1, 1, "step must not be 0"),
    ("X = fill(1, 2, 2);\nprint(X[5, 0]);", 2, 8, ""),
    ('l = createList([1.0], [2]);', 1, 5, "same value type"),
    ('f = createFrame([1], "a");\nx = [1] ? f : f;', 2, 9, "needs a scalar condition"),
    ('f = createFrame([1], "a");\nx = [1, 0] ? f : f;', 2, 12, "needs a scalar condition"),
    ('x = oneHot(["a", "b", "c"], [2](1, 1));', 1, 5, "value 2 at (2, 0)"),
    ('f = createFrame([1], "a");\nk, t = semiJoin(f, f, "a", "b");', 2, 8,
     "the right frame has no column 'b'"),
])
def test_execution_errors_point_at_the_script(source: str, line: int, col: int,
                                              text: str) -> None:
    with pytest.raises(ExecutionError) as info:
        run_script(source)
    err = info.value
    assert (err.line, err.col, err.exit_status) == (line, col, 3), str(err)
    assert text in err.message


def test_stop_inside_a_function_stops_everything(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ExecutionError, match="system stopped: from f"):
        run_script('def f() { stop("from f"); }\nprint(1);\nf();\nprint(2);')
    assert capsys.readouterr().out == "1\n"


def test_deep_recursion_is_an_execution_error() -> None:
    source = "def f(n) { if (n <= 0) { return 0; } return 1 + f(n - 1); }\nprint(f($n));"
    assert run_script(source.replace("print(f($n));", "x = f($n);\nsaveDaphneLibResult(x);"),
                      args={"n": "500"}) == 500
    with pytest.raises(ExecutionError, match="recurses too deeply"):
        run_script(source, args={"n": "100000"})


def test_imports_errors_and_transitive_names(tmp_path: Path) -> None:
    (tmp_path / "a.daphne").write_text('import "b.daphne";\nx = b.y + 1;\n')
    (tmp_path / "b.daphne").write_text("y = 41;\n")
    main = tmp_path / "main.daphne"
    main.write_text('import "a.daphne";\nsaveDaphneLibResult(a.x);\n')
    assert compile_script(path=main) is not None
    from daphnelib.dsl import execute

    assert execute(compile_script(path=main)) == 42
    # Symbols of transitive imports are not re-exported.
    main.write_text('import "a.daphne";\nprint(a.b.y);\n')
    with pytest.raises(ParseError, match=r"'a\.b\.y' is used before"):
        compile_script(path=main)
    (tmp_path / "b.daphne").write_text('import "a.daphne";\ny = 1;\n')
    main.write_text('import "a.daphne";\n')
    with pytest.raises(ParseError, match="circular import"):
        compile_script(path=main)


def test_receive_from_numpy_needs_live_buffers() -> None:
    arr = np.arange(6, dtype=np.float64).reshape(2, 3)
    source = f"X = receiveFromNumpy({arr.ctypes.data}, 2, 3, 7);\nsaveDaphneLibResult(X);"
    with pytest.raises(ParseError, match="only when run from Python with the live arrays"):
        compile_script(source)
    out = run_script(source, buffers={arr.ctypes.data: arr})
    assert np.shares_memory(out, arr)


def test_explain_lists_functions_and_nested_blocks() -> None:
    text = explain(compile_script(
        "def f(a: si64) -> si64 { return a + 1; }\nx = 0;\nwhile (x < 3) x = f(x);\nprint(x);"))
    assert text.splitlines() == [
        "V0 = while(block1, block2, 1, 0)  : none",
        "  block1 (params V0):",
        "    V1 = <(V0, 3)  : scalar",
        "    V2 = results(V1)  : none",
        "  block2 (params V0):",
        "    V1 = call(f, 1, V0)  : scalar",
        "    V2 = results(V1)  : none",
        "V1 = item(V0, 0)  : scalar",
        "V2 = print(V1)  : none",
        "def f(a: si64) -> si64  (params V0):",
        "    V1 = +(V0, 1)  : scalar",
        "    V2 = results(V1)  : none",
    ]


def test_map_keeps_the_value_type(capsys: pytest.CaptureFixture[str]) -> None:
    run_script("def half(x) { return x / 2; }\nprint(map([3, 4](1, 2), half));\n"
               "print(map([3.0, 4](1, 2), half));")
    assert capsys.readouterr().out == (
        "DenseMatrix(1x2, int64_t)\n1 2\nDenseMatrix(1x2, double)\n1.5 2\n")
