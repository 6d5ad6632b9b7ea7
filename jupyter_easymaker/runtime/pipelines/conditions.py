"""The subset of CEL that KFP's compiler writes into ``triggerPolicy.condition``
(dsl.If / Elif / Else, dsl.Condition): literals, ``inputs.parameter_values['x']``,
int() / double() / string(), comparisons, ``&&``, ``||``, ``!`` and parentheses.

A small parser and evaluator of its own: a condition is data from an uploaded
file, so it is never handed to Python's eval."""
from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")
    | (?P<number>\d+\.\d*(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|\.\d+|\d+)
    | (?P<op>&&|\|\||==|!=|<=|>=|<|>|!|\(|\)|\[|\]|\.|-|,)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""", re.VERBOSE)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}


class ConditionError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ConditionError(f"cannot read the condition {text!r} at {text[pos:].strip()[:20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def _to_int(value: Any) -> int:
    if isinstance(value, str):
        number = float(value.strip())
        return int(number)
    return int(value)


def _to_double(value: Any) -> float:
    return float(value.strip() if isinstance(value, str) else value)


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


_FUNCTIONS = {"int": _to_int, "double": _to_double, "string": _to_string, "bool": bool}


class _Parser:
    """Recursive descent over the tokens, evaluating as it goes (no short-circuit
    surprises: both sides of && / || are read, as CEL's commutative logic allows)."""

    def __init__(self, text: str, values: dict[str, Any]):
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0
        self.values = values

    def fail(self, why: str) -> ConditionError:
        return ConditionError(f"condition {self.text!r}: {why}")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise self.fail(f"expected {value or 'more'} at the end" if token is None else
                            f"expected {value!r}, found {token[1]!r}")
        self.pos += 1
        return token

    def parse(self) -> bool:
        value = self.disjunction()
        if self.peek() is not None:
            raise self.fail(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        if not isinstance(value, bool):
            raise self.fail(f"it is {value!r}, not true or false")
        return value

    def disjunction(self) -> Any:
        value = self.conjunction()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.conjunction()
            value = self.logical(value) or self.logical(right)
        return value

    def conjunction(self) -> Any:
        value = self.relation()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.relation()
            value = self.logical(value) and self.logical(right)
        return value

    def logical(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"{value!r} is not true or false")
        return value

    def relation(self) -> Any:
        value = self.unary()
        while (token := self.peek()) and token[0] == "op" and token[1] in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            value = self.compare(token[1], value, self.unary())
        return value

    def compare(self, op: str, left: Any, right: Any) -> bool:
        if op == "==":
            return _equal(left, right)
        if op == "!=":
            return not _equal(left, right)
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
        if not numbers and type(left) is not type(right):
            raise self.fail(f"cannot order {left!r} and {right!r}")
        try:
            return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
        except TypeError:
            raise self.fail(f"cannot order {left!r} and {right!r}") from None

    def unary(self) -> Any:
        token = self.peek()
        if token == ("op", "!"):
            self.take()
            return not self.logical(self.unary())
        if token == ("op", "-"):
            self.take()
            value = self.unary()
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.fail(f"cannot negate {value!r}")
            return -value
        return self.primary()

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return _unquote(text)
        if kind == "number":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if text == "(":
            value = self.disjunction()
            self.take(")")
            return value
        if kind == "name":
            if text in ("true", "false"):
                return text == "true"
            if text == "null":
                return None
            if text in _FUNCTIONS:
                self.take("(")
                argument = self.disjunction()
                self.take(")")
                try:
                    return _FUNCTIONS[text](argument)
                except (TypeError, ValueError):
                    raise self.fail(f"{text}({argument!r}) has no value") from None
            if text == "inputs":
                self.take(".")
                field = self.take()[1]
                if field != "parameter_values":
                    raise self.fail(f"inputs.{field} is not supported (only inputs.parameter_values)")
                self.take("[")
                kind, key = self.take()
                if kind != "string":
                    raise self.fail("inputs.parameter_values takes a quoted name")
                self.take("]")
                name = _unquote(key)
                if name not in self.values:
                    raise self.fail(f"the input {name!r} has no value")
                return self.values[name]
        raise self.fail(f"unexpected {text!r}")


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) != isinstance(right, bool):
        return False  # CEL: true != 1
    return bool(left == right)


def evaluate(condition: str, parameter_values: dict[str, Any]) -> bool:
    """Whether the condition holds over a task's input parameters; ConditionError
    when it cannot be read or reads an input that has no value."""
    return _Parser(condition, parameter_values).parse()
