"""The small, safe expression language of flow conditions and computed values.

    startswith(caller, "+33") and len(digits) >= 4
    account.balance > 100 or language in ["fr", "de"]
    not (time.weekday == "sun")

A tokenizer and a recursive-descent parser turn the text into a tree of closures; nothing is
ever handed to Python's `eval`. Names are looked up through a function the caller provides,
so an expression can read call data but never reach Python objects, and whatever a caller
typed is only ever a value. Undefined names read as `null`.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ivr.errors import ExpressionError

Lookup = Callable[[tuple[str, ...]], Any]
Compiled = Callable[[Lookup], Any]

MAX_LENGTH = 1000
MAX_DEPTH = 40

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>[0-9]+(?:\.[0-9]+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,|\+|-|\*|/|%)
""", re.VERBOSE)
_NUMERIC = re.compile(r"[-+]?[0-9]{1,30}(\.[0-9]{1,30})?")
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}


def compile_expression(text: str) -> Compiled:
    """Parse `text` into a function of a name lookup. Raises ExpressionError on bad syntax."""
    if not isinstance(text, str):
        raise ExpressionError("an expression must be text")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    parser = _Parser(_tokenize(text), text)
    compiled = parser.expression(0)
    parser.expect_end()
    return compiled


def evaluate(text: str, lookup: Lookup) -> Any:
    return compile_expression(text)(lookup)


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "") and value != [] and value != {}


def _tokenize(text: str) -> list[tuple[str, Any, int]]:
    tokens: list[tuple[str, Any, int]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ExpressionError(f"bad expression: unexpected character {text[pos]!r} at position {pos + 1}")
        kind, value = match.lastgroup, match.group()
        if kind == "number":
            tokens.append(("value", float(value) if "." in value else int(value), pos))
        elif kind == "string":
            body = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), value[1:-1])
            tokens.append(("value", body, pos))
        elif kind == "name" and value in _KEYWORDS:
            if value in ("true", "false", "null"):
                tokens.append(("value", {"true": True, "false": False, "null": None}[value], pos))
            else:
                tokens.append(("op", value, pos))
        elif kind != "space":
            tokens.append((kind, value, pos))
        pos = match.end()
    tokens.append(("end", None, len(text)))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any, int]], text: str):
        self.tokens, self.text, self.index = tokens, text, 0

    # -- token helpers -------------------------------------------------------
    def peek(self, offset: int = 0) -> tuple[str, Any, int]:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def accept(self, op: str) -> bool:
        kind, value, _ = self.peek()
        if kind == "op" and value == op:
            self.index += 1
            return True
        return False

    def expect(self, op: str) -> None:
        if not self.accept(op):
            self.fail(f"expected '{op}'")

    def expect_end(self) -> None:
        if self.peek()[0] != "end":
            self.fail("unexpected")

    def fail(self, what: str) -> None:
        kind, value, pos = self.peek()
        found = "the end" if kind == "end" else repr(value)
        raise ExpressionError(f"bad expression: {what} {found} at position {pos + 1}"
                              if what == "unexpected" else
                              f"bad expression: {what} but found {found} at position {pos + 1}")

    # -- grammar, loosest binding first --------------------------------------
    def expression(self, depth: int) -> Compiled:
        if depth > MAX_DEPTH:
            raise ExpressionError("bad expression: nested too deeply")
        return self.disjunction(depth)

    def disjunction(self, depth: int) -> Compiled:
        left = self.conjunction(depth)
        while self.accept("or"):
            left = _or(left, self.conjunction(depth))
        return left

    def conjunction(self, depth: int) -> Compiled:
        left = self.negation(depth)
        while self.accept("and"):
            left = _and(left, self.negation(depth))
        return left

    def negation(self, depth: int) -> Compiled:
        if self.accept("not"):
            if depth > MAX_DEPTH:
                raise ExpressionError("bad expression: nested too deeply")
            inner = self.negation(depth + 1)
            return lambda lookup: not truthy(inner(lookup))
        return self.comparison(depth)

    def comparison(self, depth: int) -> Compiled:
        left = self.sum(depth)
        kind, value, _ = self.peek()
        if kind == "op" and value == "not" and self.peek(1)[:2] == ("op", "in"):
            self.index += 2
            right = self.sum(depth)
            return lambda lookup: not _contains(right(lookup), left(lookup))
        if kind == "op" and value in _COMPARISONS:
            self.index += 1
            right = self.sum(depth)
            compare = _COMPARISONS[value]
            return lambda lookup: compare(left(lookup), right(lookup))
        return left

    def sum(self, depth: int) -> Compiled:
        left = self.product(depth)
        while self.peek()[:2] in (("op", "+"), ("op", "-")):
            op = self.peek()[1]
            self.index += 1
            left = _arithmetic(op, left, self.product(depth))
        return left

    def product(self, depth: int) -> Compiled:
        left = self.unary(depth)
        while self.peek()[:2] in (("op", "*"), ("op", "/"), ("op", "%")):
            op = self.peek()[1]
            self.index += 1
            left = _arithmetic(op, left, self.unary(depth))
        return left

    def unary(self, depth: int) -> Compiled:
        if self.accept("-"):
            if depth > MAX_DEPTH:
                raise ExpressionError("bad expression: nested too deeply")
            inner = self.unary(depth + 1)
            return lambda lookup: -_number(inner(lookup), "-")
        return self.primary(depth)

    def primary(self, depth: int) -> Compiled:
        kind, value, pos = self.peek()
        if kind == "value":
            self.index += 1
            return lambda lookup: value
        if kind == "name":
            self.index += 1
            if self.accept("("):
                return self.call(value, pos, depth)
            path = tuple(value.split("."))
            return lambda lookup: lookup(path)
        if self.accept("("):
            inner = self.expression(depth + 1)
            self.expect(")")
            return inner
        if self.accept("["):
            items: list[Compiled] = []
            if not self.accept("]"):
                items.append(self.expression(depth + 1))
                while self.accept(","):
                    items.append(self.expression(depth + 1))
                self.expect("]")
            return lambda lookup: [item(lookup) for item in items]
        self.fail("expected a value, a name or '('")
        raise AssertionError("unreachable")

    def call(self, name: str, pos: int, depth: int) -> Compiled:
        function = FUNCTIONS.get(name)
        if function is None:
            known = ", ".join(sorted(FUNCTIONS))
            raise ExpressionError(f"bad expression: unknown function '{name}' at position {pos + 1} (known: {known})")
        arguments: list[Compiled] = []
        if not self.accept(")"):
            arguments.append(self.expression(depth + 1))
            while self.accept(","):
                arguments.append(self.expression(depth + 1))
            self.expect(")")
        arity = function.__code__.co_argcount
        if len(arguments) != arity:
            raise ExpressionError(f"bad expression: {name}() takes {arity} argument(s), got {len(arguments)}")
        return lambda lookup: function(*(argument(lookup) for argument in arguments))


# -- evaluation --------------------------------------------------------------
def _or(left: Compiled, right: Compiled) -> Compiled:
    return lambda lookup: truthy(left(lookup)) or truthy(right(lookup))


def _and(left: Compiled, right: Compiled) -> Compiled:
    return lambda lookup: truthy(left(lookup)) and truthy(right(lookup))


def _as_number(value: Any) -> int | float | None:
    """Numbers, and text that spells one (keys a caller typed are text), as a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and _NUMERIC.fullmatch(value):
        return float(value) if "." in value else int(value)
    return None


def _number(value: Any, op: str) -> int | float:
    number = _as_number(value)
    if number is None:
        raise ExpressionError(f"'{op}' needs numbers, got {_describe(value)}")
    return number


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) != isinstance(b, str):
        x, y = _as_number(a), _as_number(b)
        if x is not None and y is not None:
            return x == y
    return a == b


def _ordered(op: str, test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        if isinstance(a, str) and isinstance(b, str):
            return test(a, b)
        x, y = _as_number(a), _as_number(b)
        if x is None or y is None:
            raise ExpressionError(f"cannot compare {_describe(a)} {op} {_describe(b)}")
        return test(x, y)
    return compare


def _contains(container: Any, item: Any) -> bool:
    if container is None:
        return False
    if isinstance(container, str):
        return item is not None and str(item) in container
    if isinstance(container, list):
        return any(_equal(item, element) for element in container)
    if isinstance(container, dict):
        return str(item) in container
    raise ExpressionError(f"'in' needs a list or text on its right, got {_describe(container)}")


def _arithmetic(op: str, left: Compiled, right: Compiled) -> Compiled:
    def apply(lookup: Lookup) -> Any:
        a, b = left(lookup), right(lookup)
        if op == "+" and (isinstance(a, str) or isinstance(b, str)):
            if a is None or b is None:
                raise ExpressionError(f"cannot add {_describe(a)} and {_describe(b)}")
            return f"{_text(a)}{_text(b)}"
        x, y = _number(a, op), _number(b, op)
        if op in "/%" and y == 0:
            raise ExpressionError("division by zero")
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "%":
            return x % y
        quotient = x / y
        return int(quotient) if quotient == int(quotient) else quotient
    return apply


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


def _length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, (str, list, dict)):
        return len(value)
    return len(_text(value))


def _starts_with(value: Any, prefix: Any) -> bool:
    return _text(value).startswith(_text(prefix))


def _ends_with(value: Any, suffix: Any) -> bool:
    return _text(value).endswith(_text(suffix))


def _lower(value: Any) -> str:
    return _text(value).lower()


def _upper(value: Any) -> str:
    return _text(value).upper()


def _to_number(value: Any) -> int | float:
    return _number(value, "number()")


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": _equal,
    "!=": lambda a, b: not _equal(a, b),
    "<": _ordered("<", lambda a, b: a < b),
    "<=": _ordered("<=", lambda a, b: a <= b),
    ">": _ordered(">", lambda a, b: a > b),
    ">=": _ordered(">=", lambda a, b: a >= b),
    "in": lambda a, b: _contains(b, a),
}
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": _length,
    "startswith": _starts_with,
    "endswith": _ends_with,
    "lower": _lower,
    "upper": _upper,
    "number": _to_number,
    "text": _text,
}
text_of = _text  # how values read when spoken or put into templates
