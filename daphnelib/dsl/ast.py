"""The DaphneDSL syntax tree. Every node records the line and column it starts at."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Node:
    line: int
    col: int


# -- expressions -----------------------------------------------------------------------------

@dataclass(slots=True)
class Literal(Node):
    value: Any  # int (si64), float (f64), bool, str, or a numpy scalar (ui64, size, f32)


@dataclass(slots=True)
class Name(Node):
    name: str  # possibly dotted: "alias.x"


@dataclass(slots=True)
class Call(Node):
    name: str  # possibly dotted: "alias.f"
    args: list[Expr]
    kwargs: list[tuple[str, Expr]] = field(default_factory=list)


@dataclass(slots=True)
class Cast(Node):
    target: str  # "matrix", "f64", "matrix<f64>": the op is "as." + target
    arg: Expr


@dataclass(slots=True)
class Unary(Node):
    op: str  # "-" or "+"
    operand: Expr


@dataclass(slots=True)
class Binary(Node):
    op: str
    lhs: Expr
    rhs: Expr


@dataclass(slots=True)
class Ternary(Node):
    cond: Expr
    then: Expr
    other: Expr


@dataclass(slots=True)
class Range(Node):
    lo: Expr | None
    hi: Expr | None


@dataclass(slots=True)
class Index(Node):
    obj: Expr
    rows: Expr | Range | None
    cols: Expr | Range | None
    bits: bool = False  # X[[rows, cols]]: bit-vector filter


@dataclass(slots=True)
class MatrixLit(Node):
    elems: list[Expr]
    # None: no "(r, c)" suffix; otherwise the (rows, cols) expressions, either may be None.
    shape: tuple[Expr | None, Expr | None] | None = None


@dataclass(slots=True)
class FrameLit(Node):
    """``{"a": col, ...}`` (columns given) or ``{["a", ...], [row], ...}`` (rows given)."""

    labels: list[Expr]
    columns: list[Expr] | None = None
    rows: list[list[Expr]] | None = None


Expr = Literal | Name | Call | Cast | Unary | Binary | Ternary | Index | MatrixLit | FrameLit


# -- statements ------------------------------------------------------------------------------

@dataclass(slots=True)
class TypeSpec(Node):
    data: str | None  # "matrix" | "frame" | "scalar" | None (a bare value type means scalar)
    value: str | None

    def __str__(self) -> str:
        if self.data is None:
            return self.value or "?"
        return self.data if self.value is None else f"{self.data}<{self.value}>"


@dataclass(slots=True)
class Target(Node):
    name: str
    rows: Expr | Range | None = None
    cols: Expr | Range | None = None
    indexed: bool = False


@dataclass(slots=True)
class ExprStmt(Node):
    expr: Expr


@dataclass(slots=True)
class Assign(Node):
    targets: list[Target]
    value: Expr


@dataclass(slots=True)
class Block(Node):
    body: list[Stmt]


@dataclass(slots=True)
class If(Node):
    cond: Expr
    then: Stmt
    other: Stmt | None


@dataclass(slots=True)
class While(Node):
    cond: Expr
    body: Stmt
    do: bool = False  # do ... while (cond);


@dataclass(slots=True)
class For(Node):
    var: str
    start: Expr
    end: Expr
    step: Expr | None
    body: Stmt


@dataclass(slots=True)
class Param(Node):
    name: str
    type: TypeSpec | None


@dataclass(slots=True)
class FuncDef(Node):
    name: str
    params: list[Param]
    returns: list[TypeSpec] | None
    body: Block


@dataclass(slots=True)
class Return(Node):
    values: list[Expr]


@dataclass(slots=True)
class Import(Node):
    path: str
    alias: str | None


Stmt = ExprStmt | Assign | Block | If | While | For | FuncDef | Return | Import


@dataclass(slots=True)
class Script:
    body: list[Stmt]
    file: str = "<script>"
    source: str = ""
