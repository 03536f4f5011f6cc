"""The command line never shows a Python traceback: every failure ends with DAPHNE's
``[error]: <stage>: <message>`` line and exit status (1 parser, 2 compile, 3 execution).

The named cases are the ones that used to raise; the fuzz test runs mutated corpus scripts
and grammar-generated ones in-process through :func:`daphnelib.__main__.main`, each under a
time limit (a mutation can make a loop endless).
"""

from __future__ import annotations

import json
import random
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from daphnelib.__main__ import main, report_error

DSL = Path(__file__).parents[1] / "dsl"
CORPUS = sorted(DSL.glob("*.daphne"))


class _Timeout(Exception):
    pass


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().err


def _assert_clean(status: int, err: str, what: str) -> None:
    assert "Traceback" not in err, f"{what}:\n{err}"
    assert status in (0, 1, 2, 3), f"{what}: exit {status}\n{err}"
    if status:
        assert err.startswith("[error]: "), f"{what}:\n{err}"


NESTED = {
    "200 parentheses": "x = " + "(" * 200 + "1" + ")" * 200 + "; print(x);",
    "1000-term sum": "x = " + " + ".join(["1"] * 1000) + "; print(x);",
    "400 nested ifs": "x = 1;\n" + "if (x > 0) {\n" * 400 + "print(x);\n" + "}\n" * 400,
    "5000 minus signs": "x = " + "-" * 5000 + "1; print(x);",
    "non-ASCII letter": "µ = 2; print(µ);",
    "non-ASCII digit": "x = ²; print(x);",
}


@pytest.mark.parametrize("name", NESTED)
def test_hostile_scripts_are_parser_errors(name: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.daphne"
    path.write_text(NESTED[name], encoding="utf-8")
    status, err = _run(capsys, str(path))
    assert status == 1 and err.startswith("[error]: Parser error: "), err
    assert "Traceback" not in err


def test_files_and_configs_that_cannot_be_used(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "latin1.daphne"
    bad.write_bytes(b'print("caf\xe9");')
    ok = tmp_path / "ok.daphne"
    ok.write_text("print(1);")
    cases: list[list[str]] = [[str(bad)], ["compat", "/nonexistent.py"],
                              ["compat", str(tmp_path)], [str(ok), "x=\xff"]]
    for k, config in enumerate(([1, 2], {"daphnedsl_import_paths": 5},
                                {"daphnedsl_import_paths": {"a": 5}}, "text")):
        cfg = tmp_path / f"c{k}.json"
        cfg.write_text(json.dumps(config))
        cases.append([f"--config={cfg}", str(ok)])
    for argv in cases:
        status, err = _run(capsys, *argv)
        assert status == 1, (argv, err)
        assert err.startswith("[error]: Parser error: ") and err.count("\n") <= 3, (argv, err)
        assert "Traceback" not in err


def _mutate(text: str, rng: random.Random) -> str:
    """A few random edits: deletions, duplications, swaps, hostile insertions."""
    hostile = ["(", ")", "{", "}", "[", "]", ";", ",", ":", "-", "+", "*", "/", "^", '"',
               "\\", "$", "@", "µ", "²", "\x00", "\n", "1e309", "-9223372036854775809",
               "18446744073709551616", "0.5", "nan", "inf", "[1, 2]", "t(", "rand(", "as.",
               "def f(", "while (", "if (", "else", "return", "import \"x\";", "frame("]
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(chars) + 1)
        action = rng.random()
        if action < 0.3 and chars:
            del chars[i:i + rng.randint(1, 8)]
        elif action < 0.5 and chars:
            j = rng.randrange(len(chars))
            chars[i:i] = chars[j:j + rng.randint(1, 20)]
        elif action < 0.6 and len(chars) > 1:
            j = rng.randrange(len(chars))
            k = min(i, len(chars) - 1)
            chars[j], chars[k] = chars[k], chars[j]
        else:
            chars[i:i] = list(rng.choice(hostile))
    return "".join(chars)


_LEAVES = ["1", "2.5", "-3", "0", "true", '"s"', "x", "X", "nan", "[1, 2, 3]", "$a", "1e300",
           "9223372036854775807", "0.0"]
_UNARY = ["-{}", "({})", "t({})", "sum({})", "as.si64({})", "as.matrix({})", "sqrt({})",
          "{}[0, ]", "{}[, 0]", "{}[-1.5, ]", "reshape({}, 1, 3)", "order({}, 0, true, false)"]
_BINARY = ["{} + {}", "{} - {}", "{} * {}", "{} / {}", "{} % {}", "{} ^ {}", "{} == {}",
           "{} < {}", "{} && {}", "{} @ {}", "min({}, {})", "max({}, {})", "cbind({}, {})",
           "rbind({}, {})", "fill({}, 2, 2)", "seq(0, {}, {})"]


def _expr(rng: random.Random, depth: int) -> str:
    if depth <= 0 or rng.random() < 0.25:
        return rng.choice(_LEAVES)
    if rng.random() < 0.4:
        return rng.choice(_UNARY).format(_expr(rng, depth - 1))
    return rng.choice(_BINARY).format(_expr(rng, depth - 1), _expr(rng, depth - 1))


def _generated(rng: random.Random) -> str:
    lines = ["x = 2;", "X = [1.0, 2.0, 3.0];"]
    for _ in range(rng.randint(1, 5)):
        e = _expr(rng, rng.randint(1, 5))
        lines.append(rng.choice([f"y = {e};", f"print({e});", f"if ({e}) {{ print(1); }}",
                                 f"for (i in 0:{e}) {{ x = x + 1; }}", f"X = {e};"]))
    lines.append("print(x); print(X);")
    return "\n".join(lines)


@pytest.mark.parametrize("seed", range(6))
def test_fuzzed_scripts_never_give_a_traceback(seed: int, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # scripts that write files write here
    import daphnelib.__main__ as cli
    from daphnelib.dsl.errors import DaphneDSLError

    escaped: list[BaseException] = []  # exceptions only the command line's last resort caught

    def spy(exc: Exception) -> int:
        if not isinstance(exc, (DaphneDSLError, OSError, _Timeout)):
            escaped.append(exc)
        return report_error(exc)

    monkeypatch.setattr(cli, "report_error", spy)
    rng = random.Random(seed)
    path = tmp_path / "fuzz.daphne"
    for case in range(40):
        text = (_mutate(rng.choice(CORPUS).read_text(), rng) if case % 2
                else _generated(rng))
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            with _time_limit(3):
                status, err = _run(capsys, str(path), "a=1")
        except _Timeout:
            capsys.readouterr()
            continue  # an endless loop is the script's own; it only must not crash
        _assert_clean(status, err, f"seed {seed} case {case}:\n{text}")
        assert not escaped, f"seed {seed} case {case}: {escaped[0]!r}\n{text}"
