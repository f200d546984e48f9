"""The partial-date check of the workbook accepts YYYY, YYYY-MM, YYYY-MM-DD and native dates only.

Excel is not available to tests, so the formula written into the workbook is evaluated here by a
small interpreter of the Excel functions it uses, with Excel's semantics for them (errors propagate
through AND/OR, ISNUMBER of an error is FALSE, text compares greater than any number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from itpcohort.crf.workbook import FIRST_DATA_ROW, build_workbook


@dataclass(frozen=True)
class ExcelError:
    code: str


_TOKEN = re.compile(
    r'\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<str>"[^"]*")|(?P<name>[A-Z]+\d*)|(?P<op>>=|<=|<>|[=<>(),]))'
)


def tokenize(formula: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(formula):
        match = _TOKEN.match(formula, position)
        assert match, formula[position:]
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _compare(left: object, op: str, right: object) -> object:
    if isinstance(left, ExcelError):
        return left
    if isinstance(right, ExcelError):
        return right

    def rank(v: object) -> tuple[int, object]:  # Excel: numbers < text < booleans
        if isinstance(v, bool):
            return (2, v)
        if isinstance(v, str):
            return (1, v.lower())
        return (0, v)

    a, b = rank(left), rank(right)
    return {"=": a == b, "<>": a != b, ">=": a >= b, "<=": a <= b, ">": a > b, "<": a < b}[op]


def _value(text: object) -> object:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return text
    try:
        return float(str(text))
    except ValueError:
        return ExcelError("#VALUE!")


FUNCTIONS = {
    "ISNUMBER": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
    "ISTEXT": lambda x: isinstance(x, str),
    "VALUE": _value,
    "LEFT": lambda s, n: str(s)[: int(n)],
    "MID": lambda s, start, n: str(s)[int(start) - 1 : int(start) - 1 + int(n)],
    "LEN": lambda s: len(str(s)),
}


def evaluate(formula: str, cells: dict[str, object]) -> object:
    tokens = tokenize(formula)
    position = 0

    def peek() -> tuple[str, str] | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def expression() -> object:
        left = atom()
        nxt = peek()
        if nxt and nxt[0] == "op" and nxt[1] in ("=", "<>", ">=", "<=", ">", "<"):
            op = take()[1]
            return _compare(left, op, atom())
        return left

    def atom() -> object:
        kind, text = take()
        if kind == "num":
            return float(text)
        if kind == "str":
            return text[1:-1]
        assert kind == "name"
        nxt = peek()
        if nxt != ("op", "("):
            return cells[text]
        take()
        args = [expression()]
        while peek() == ("op", ","):
            take()
            args.append(expression())
        assert take() == ("op", ")")
        if text in ("AND", "OR"):
            for arg in args:
                if isinstance(arg, ExcelError):
                    return arg
            return all(args) if text == "AND" else any(args)
        if text in ("ISNUMBER", "ISTEXT"):
            return FUNCTIONS[text](args[0])
        for arg in args:
            if isinstance(arg, ExcelError):
                return arg
        return FUNCTIONS[text](*args)

    result = expression()
    assert position == len(tokens)
    return result


@pytest.fixture(scope="module")
def formula() -> str:
    sheet = build_workbook("en")["patients"]
    validation = next(
        dv for dv in sheet.data_validations.dataValidation if str(dv.sqref).startswith("D")
    )
    assert validation.type == "custom"
    return validation.formula1


@pytest.mark.parametrize("typed", ["1975", "1975-06", "1975-06-15", 27_560.0, 1.0])
def test_accepts_partial_and_full_dates(formula: str, typed: object) -> None:
    assert evaluate(formula, {f"D{FIRST_DATA_ROW}": typed}) is True


@pytest.mark.parametrize(
    "typed", ["06/1975", "1975-6", "1975/06/15", "15-06-1975", "abcd", "19750", "1975-06-1", "x"]
)
def test_refuses_other_layouts(formula: str, typed: object) -> None:
    assert evaluate(formula, {f"D{FIRST_DATA_ROW}": typed}) is False
