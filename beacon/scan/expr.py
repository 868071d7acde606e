"""One CEL match expression: checked against the field table, compiled once, evaluated fast.

CEL itself (parsing, evaluation, operators, macros) is the `common-expression-language`
library. This module adds what the rule format demands around it:

- **Field check at load.** Every `e.…` selection must name a schema 1.1 field or object, so
  `e.fil.path` is a load-time error; the expression must evaluate to a bool.
- **RE2.** `matches` is routed to google-re2 (unanchored search, RE2 syntax such as repeated
  inline flags and `\\x{HHHH}`), each pattern compiled once; the library's own regex engine
  recompiles per call and is not RE2.
- **Null safety.** The expression sees only the fields it references, each filled with its
  typed zero value when absent; `has(e.x.y)` is true when the field is present and non-zero,
  like a typed struct field upstream.
- **Speed.** A conservative pre-check of the expression's top-level `&&`/`||` structure
  (string comparisons and regexes on fields) proves most events cannot match before CEL is
  called; CEL still decides every event the pre-check lets through.
"""

from __future__ import annotations

import copy
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import cel
import re2

from beacon.scan.fields import DYNAMIC_ROOTS, RuleField, lookup, object_paths, rule_fields, typed

EVENT_VAR = "e"
RE2_FUNCTION = "beaconRe2Matches"
HAS_PREFIX = "beacon_has_"


class ExpressionError(ValueError):
    """A match expression does not compile, names an unknown field or is not a bool."""


@cache
def compiled_regex(pattern: str) -> Any:
    """One compiled RE2 program per pattern string, shared by every rule."""
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        raise ExpressionError(f"invalid RE2 pattern {pattern!r}: {exc}") from None


def re2_matches(text: Any, pattern: Any) -> bool:
    """CEL `matches` with RE2 semantics: true when the pattern occurs anywhere in text."""
    if not isinstance(text, str) or not isinstance(pattern, str):
        raise TypeError("matches() takes a string and a string pattern")
    return compiled_regex(pattern).search(text) is not None


# ---------------------------------------------------------------------------------------
# Lexing: enough of CEL's lexical grammar to find selections, calls and literals.

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|//[^\n]*)
  | (?P<str>(?:[rR][bB]?|[bB][rR]?|[bB])?(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''
        |"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
  | (?P<num>0[xX][0-9a-fA-F]+[uU]?|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?[uU]?)
  | (?P<ident>[_A-Za-z][_A-Za-z0-9]*)
  | (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:.,()\[\]{}])
    """,
    re.VERBOSE | re.DOTALL,
)

_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "?": "?",
    '"': '"',
    "'": "'",
    "`": "`",
}
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-3][0-7]{2}|.)", re.S)


@dataclass(frozen=True)
class Token:
    """One lexical token with its kind, source text and offset."""

    kind: str
    text: str
    start: int


def tokenize(source: str) -> list[Token]:
    """CEL tokens of `source` without whitespace and comments; raises on stray characters."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None:
            raise ExpressionError(f"unexpected character {source[pos]!r} at offset {pos}")
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, m.group(), pos))
        pos = m.end()
    return tokens


def string_value(token: Token) -> str | None:
    """The value of a string literal token, or None for bytes literals."""
    text = token.text
    prefix = ""
    while text[0] in "rRbB":
        prefix += text[0].lower()
        text = text[1:]
    if "b" in prefix:
        return None
    quote = 3 if text[:3] in ('"""', "'''") else 1
    body = text[quote:-quote]
    if "r" in prefix:
        return body

    def unescape(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] in "xuU":
            return chr(int(code[1:], 16))
        if code[0] in "0123" and len(code) == 3:
            return chr(int(code, 8))
        if code in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[code]
        raise ExpressionError(f"invalid escape \\{code} in string literal {token.text}")

    return _ESCAPE.sub(unescape, body)


# ---------------------------------------------------------------------------------------
# Field selections.


@dataclass(frozen=True)
class Selection:
    """An `e.a.b` chain: its path, token span and whether it sits inside `has(…)`."""

    path: str
    first: int
    last: int
    indexed: bool = False


def _selections(tokens: list[Token]) -> list[Selection]:
    found: list[Selection] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind == "ident" and tok.text == EVENT_VAR and not _after_dot(tokens, i):
            parts: list[str] = []
            j = i
            while (
                j + 2 < len(tokens)
                and tokens[j + 1].text == "."
                and tokens[j + 2].kind == "ident"
                and not (j + 3 < len(tokens) and tokens[j + 3].text == "(")
            ):
                parts.append(tokens[j + 2].text)
                j += 2
            indexed = j + 1 < len(tokens) and tokens[j + 1].text == "["
            if not parts:
                if indexed:
                    raise ExpressionError(
                        "select event fields with dots (e.file.path), not with an index [ ]"
                    )
                raise ExpressionError("the event `e` must be used through a field path")
            found.append(Selection(".".join(parts), i, j, indexed))
            i = j + 1
            continue
        i += 1
    return found


def _after_dot(tokens: list[Token], i: int) -> bool:
    return i > 0 and tokens[i - 1].text == "."


def _check_path(path: str) -> str | None:
    """The CEL type of `path` (`object` for an object), or None when the schema lacks it."""
    leaves = rule_fields()
    if path in leaves:
        return leaves[path].type
    if path in object_paths():
        return "object"
    root = path.split(".", 1)[0]
    if root in DYNAMIC_ROOTS:
        return "dyn"
    # Below an any-typed leaf (gen_ai.tool.call.arguments.x) the value is dynamic too.
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        leaf = leaves.get(".".join(parts[:i]))
        if leaf is not None:
            return "dyn" if leaf.type == "dyn" else None
    return None


def _suggest(path: str) -> str:
    import difflib

    close = difflib.get_close_matches(path, [*rule_fields(), *object_paths()], n=1)
    return f" (did you mean e.{close[0]}?)" if close else ""


# ---------------------------------------------------------------------------------------
# The pre-check: a conservative view of the expression's top-level boolean structure.


@dataclass(frozen=True)
class Atom:
    """A test on one field that the pre-check can decide exactly: on a string field `==`,
    `!=`, `in`, `matches`, `contains`, `startsWith`, `endsWith`; on a number field a
    comparison with a number literal; possibly negated with `!`."""

    path: str
    op: str
    values: tuple[Any, ...]
    negated: bool = False

    def test(self, value: Any) -> bool:
        """This atom's truth for the (zero-filled, typed) field value."""
        op = self.op
        if op in _NUMERIC_OPS:
            hit = _NUMERIC_OPS[op](value, self.values[0])
        elif op == "==":
            hit = value == self.values[0]
        elif op == "!=":
            hit = value != self.values[0]
        elif op == "in":
            hit = value in self.values
        elif op == "matches":
            hit = compiled_regex(self.values[0]).search(value) is not None
        elif op == "contains":
            hit = self.values[0] in value
        elif op == "startsWith":
            hit = value.startswith(self.values[0])
        else:
            hit = value.endswith(self.values[0])
        return hit != self.negated


@dataclass(frozen=True)
class Shape:
    """`all` (&&), `any` (||), an atom, `opaque` (anything the pre-check does not model), or
    the constants `true` and `false` left by `given`."""

    kind: str
    atom: Atom | None = None
    parts: tuple[Shape, ...] = ()

    def possible(self, truth: Callable[[Atom], bool]) -> bool:
        """False only when the expression is certainly false, given each atom's truth."""
        if self.kind == "atom":
            assert self.atom is not None
            return truth(self.atom)
        if self.kind == "all":
            return all(p.possible(truth) for p in self.parts)
        if self.kind == "any":
            return any(p.possible(truth) for p in self.parts)
        return self.kind != "false"

    def given(self, path: str, value: Any) -> Shape:
        """This shape with every atom on `path` decided for `value` and folded away, so an
        index keyed by that field's value can drop or simplify the expression up front."""
        if self.kind == "atom":
            assert self.atom is not None
            if self.atom.path != path:
                return self
            return TRUE if self.atom.test(value) else FALSE
        if self.kind not in ("all", "any"):
            return self
        parts = [p.given(path, value) for p in self.parts]
        short, neutral = (FALSE, TRUE) if self.kind == "all" else (TRUE, FALSE)
        if any(p.kind == short.kind for p in parts):
            return short
        kept = tuple(p for p in parts if p.kind != neutral.kind)
        if not kept:
            return neutral
        return kept[0] if len(kept) == 1 else Shape(self.kind, parts=kept)

    def compiled(self, number: Callable[[Atom], int]) -> Callable[[Callable[[int], bool]], bool]:
        """`possible` as nested closures over atom numbers, built once: the per-event hot
        path asks `truth(n)` for atom number `n` (see `number`)."""
        if self.kind == "atom":
            assert self.atom is not None
            n = number(self.atom)
            return lambda truth: truth(n)
        if self.kind in ("opaque", "true"):
            return lambda truth: True
        if self.kind == "false":
            return lambda truth: False
        parts = tuple(p.compiled(number) for p in self.parts)
        if self.kind == "all":

            def all_of(truth: Callable[[int], bool]) -> bool:
                for part in parts:  # noqa: SIM110 - a loop beats a generator here (hot path)
                    if not part(truth):
                        return False
                return True

            return all_of

        def any_of(truth: Callable[[int], bool]) -> bool:
            for part in parts:  # noqa: SIM110 - a loop beats a generator here (hot path)
                if part(truth):
                    return True
            return False

        return any_of

    def actions(self) -> frozenset[str] | None:
        """The `event.action` values under which the expression can be true (None: any)."""
        if self.kind == "atom":
            atom = self.atom
            assert atom is not None
            if atom.path == "event.action" and not atom.negated and atom.op in ("==", "in"):
                return frozenset(atom.values)
            return None
        if self.kind == "all":
            result: frozenset[str] | None = None
            for part in self.parts:
                sub = part.actions()
                if sub is not None:
                    result = sub if result is None else result & sub
            return result
        if self.kind == "any":
            union: set[str] = set()
            for part in self.parts:
                sub = part.actions()
                if sub is None:
                    return None
                union |= sub
            return frozenset(union)
        return None

    def atoms(self) -> Iterable[Atom]:
        """Every atom in the shape."""
        if self.atom is not None:
            yield self.atom
        for part in self.parts:
            yield from part.atoms()


OPAQUE = Shape("opaque")
TRUE = Shape("true")
FALSE = Shape("false")
_NUMERIC_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_OPEN = frozenset("([{")
_CLOSE = frozenset(")]}")
_STRING_METHODS = ("matches", "contains", "startsWith", "endsWith")


def _depths(tokens: list[Token]) -> Iterator[tuple[int, Token]]:
    """Each token with the bracket depth after it (an opening bracket is inside its group,
    a closing one outside)."""
    depth = 0
    for tok in tokens:
        if tok.kind == "op" and tok.text in _OPEN:
            depth += 1
        elif tok.kind == "op" and tok.text in _CLOSE:
            depth -= 1
        yield depth, tok


def _split(tokens: list[Token], op: str) -> list[list[Token]]:
    """`tokens` split at depth-0 occurrences of `op`."""
    parts: list[list[Token]] = [[]]
    for depth, tok in _depths(tokens):
        if depth == 0 and tok.kind == "op" and tok.text == op:
            parts.append([])
        else:
            parts[-1].append(tok)
    return parts


def _wrapped(tokens: list[Token]) -> bool:
    """Whether the whole span is one parenthesized group."""
    if len(tokens) < 2 or tokens[0].text != "(" or tokens[-1].text != ")":
        return False
    last = len(tokens) - 1
    return not any(
        depth == 0 and tok.kind == "op" and tok.text in _CLOSE and i != last
        for i, (depth, tok) in enumerate(_depths(tokens))
    )


def _path_at(tokens: list[Token], start: int) -> tuple[str, str, int] | None:
    """A string- or number-typed `e.a.b` path at `start`: path, CEL type, index after it."""
    if tokens[start].text != EVENT_VAR or tokens[start].kind != "ident":
        return None
    parts: list[str] = []
    i = start + 1
    while (
        i + 1 < len(tokens)
        and tokens[i].text == "."
        and tokens[i + 1].kind == "ident"
        and not (i + 2 < len(tokens) and tokens[i + 2].text == "(")
    ):
        parts.append(tokens[i + 1].text)
        i += 2
    path = ".".join(parts)
    leaf = rule_fields().get(path)
    if leaf is None or leaf.type not in ("string", "int", "double"):
        return None
    return path, leaf.type, i


def _number(tokens: list[Token]) -> int | float | None:
    sign = 1
    if len(tokens) == 2 and tokens[0].text == "-":
        sign, tokens = -1, tokens[1:]
    if len(tokens) != 1 or tokens[0].kind != "num":
        return None
    text = tokens[0].text
    if text[-1] in "uU" or text.lower().startswith("0x"):
        return None  # uint and hex literals: leave them to CEL
    value = float(text) if any(c in text for c in ".eE") else int(text)
    return sign * value


def _literal(tokens: list[Token]) -> str | None:
    if len(tokens) == 1 and tokens[0].kind == "str":
        return string_value(tokens[0])
    return None


def _atom(tokens: list[Token]) -> Atom | None:
    negated = False
    while tokens and tokens[0].text == "!":
        negated = not negated
        tokens = tokens[1:]
        if _wrapped(tokens):
            tokens = tokens[1:-1]
    if not tokens:
        return None
    if tokens[0].kind == "str" and len(tokens) > 2 and tokens[1].text == "==":
        tokens = [*tokens[2:], tokens[1], tokens[0]]
    if tokens[0].kind == "num" and len(tokens) > 2 and tokens[1].text in _FLIPPED:
        tokens = [*tokens[2:], Token("op", _FLIPPED[tokens[1].text], 0), tokens[0]]
    found = _path_at(tokens, 0)
    if found is None:
        return None
    path, kind, i = found
    rest = tokens[i:]
    if kind != "string":
        if len(rest) >= 2 and rest[0].text in _NUMERIC_OPS:
            number = _number(rest[1:])
            if number is not None:
                return Atom(path, rest[0].text, (number,), negated)
        return None
    if len(rest) == 2 and rest[0].text in ("==", "!="):
        value = _literal(rest[1:])
        return None if value is None else Atom(path, rest[0].text, (value,), negated)
    if len(rest) >= 2 and rest[0].text == "in" and rest[1].text == "[" and rest[-1].text == "]":
        items = _split(rest[2:-1], ",")
        values = [_literal(item) for item in items if item]
        if not values or any(v is None for v in values):
            return None
        return Atom(path, "in", tuple(v for v in values if v is not None), negated)
    if (
        len(rest) == 5
        and rest[0].text == "."
        and rest[1].text in _STRING_METHODS
        and rest[2].text == "("
        and rest[4].text == ")"
    ):
        value = _literal(rest[3:4])
        return None if value is None else Atom(path, rest[1].text, (value,), negated)
    return None


def shape_of(tokens: list[Token]) -> Shape:
    """The pre-check shape of an expression's tokens (conservative: unknown → opaque)."""
    if not tokens:
        return OPAQUE
    if any(depth == 0 and tok.text == "?" for depth, tok in _depths(tokens)):
        return OPAQUE  # a conditional binds loosest; model it as unknown
    ors = _split(tokens, "||")
    if len(ors) > 1:
        return Shape("any", parts=tuple(shape_of(p) for p in ors))
    ands = _split(tokens, "&&")
    if len(ands) > 1:
        return Shape("all", parts=tuple(shape_of(p) for p in ands))
    if _wrapped(tokens):
        return shape_of(tokens[1:-1])
    atom = _atom(tokens)
    return OPAQUE if atom is None else Shape("atom", atom=atom)


# ---------------------------------------------------------------------------------------
# The compiled expression.


@dataclass
class Predicate:
    """A checked, compiled match expression over one event."""

    source: str
    program: Any
    fields: tuple[RuleField, ...]
    dynamic: tuple[tuple[str, tuple[str, ...]], ...]
    has: tuple[tuple[str, RuleField | None, tuple[str, ...]], ...]
    shape: Shape
    actions: frozenset[str] | None
    context: Any = field(default=None, repr=False)

    def activation(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The variables CEL sees: `e` holding only the referenced fields, typed and
        zero-filled, plus one boolean per `has(…)`."""
        root: dict[str, Any] = {}
        for path, keys in self.dynamic:
            _place(root, path, copy.deepcopy(lookup(event, keys)))
        for leaf in self.fields:
            _place(root, leaf.path, typed(lookup(event, leaf.keys), leaf.type))
        variables: dict[str, Any] = {EVENT_VAR: root}
        for name, has_leaf, keys in self.has:
            value = lookup(event, keys)
            if has_leaf is not None:
                variables[name] = typed(value, has_leaf.type) != has_leaf.zero
            else:
                variables[name] = value is not None and value not in ({}, [], "")
        return variables

    def evaluate(self, event: Mapping[str, Any]) -> bool:
        """The expression's verdict for `event`; evaluation errors raise `ExpressionError`."""
        ctx = cel.Context(self.activation(event), {RE2_FUNCTION: re2_matches})
        try:
            result = self.program.execute(ctx)
        except Exception as exc:  # the library raises several types for evaluation errors
            raise ExpressionError(str(exc).split(". Check")[0]) from None
        if not isinstance(result, bool):
            raise ExpressionError(f"match must evaluate to a bool, got {type(result).__name__}")
        return result


def _place(root: dict[str, Any], path: str, value: Any) -> None:
    node = root
    parts = path.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def compile_expression(source: str) -> Predicate:
    """Check `source` against the field table and compile it; raises `ExpressionError`."""
    if not source.strip():
        raise ExpressionError("empty match expression")
    tokens = tokenize(source)
    for tok in tokens:
        if tok.kind == "str":
            string_value(tok)  # surface bad escapes with a clear message
    selections = _selections(tokens)
    leaves: dict[str, RuleField] = {}
    dynamic: dict[str, tuple[str, ...]] = {}
    for sel in selections:
        kind = _check_path(sel.path)
        if kind is None:
            raise ExpressionError(f"unknown field e.{sel.path}{_suggest(sel.path)}")
        if sel.indexed and kind != "dyn":
            raise ExpressionError(
                f"select event fields with dots (e.{sel.path}.…), not with an index [ ]"
            )
        if sel.path in rule_fields():
            leaves[sel.path] = rule_fields()[sel.path]
        elif kind in ("object", "dyn"):
            dynamic[sel.path] = tuple(sel.path.split("."))
    # A whole object referenced directly is passed through as it is in the event.
    for path in list(dynamic):
        if any(path.startswith(other + ".") for other in dynamic if other != path):
            del dynamic[path]
    for pattern in _regex_literals(tokens):
        compiled_regex(pattern)
    rewritten, has = _rewrite(source, tokens, selections)
    try:
        program = cel.compile(rewritten)
    except Exception as exc:
        message = str(exc).replace(RE2_FUNCTION, "matches")
        raise ExpressionError(f"does not compile: {message}") from None
    shape = shape_of(tokens)
    predicate = Predicate(
        source=source,
        program=program,
        fields=tuple(leaves.values()),
        dynamic=tuple(dynamic.items()),
        has=tuple(has),
        shape=shape,
        actions=shape.actions(),
    )
    try:
        predicate.evaluate({})
    except ExpressionError as exc:
        if "must evaluate to a bool" in str(exc):
            raise
        # Other errors on the all-zero event come from dyn values (null); fixtures decide.
    return predicate


def _regex_literals(tokens: list[Token]) -> Iterator[str]:
    """The literal patterns of `matches` calls (the last argument, when it is a string)."""
    for i, tok in enumerate(tokens):
        if tok.text != "matches" or i + 1 >= len(tokens) or tokens[i + 1].text != "(":
            continue
        depth = 0
        args: list[list[Token]] = [[]]
        for j in range(i + 1, len(tokens)):
            text = tokens[j].text if tokens[j].kind == "op" else ""
            if text in _OPEN:
                depth += 1
                if depth == 1:
                    continue
            elif text in _CLOSE:
                depth -= 1
                if depth == 0:
                    break
            if depth == 1 and text == ",":
                args.append([])
            else:
                args[-1].append(tokens[j])
        last = args[-1]
        if len(last) == 1 and last[0].kind == "str":
            value = string_value(last[0])
            if value is not None:
                yield value


def _rewrite(
    source: str, tokens: list[Token], selections: list[Selection]
) -> tuple[str, list[tuple[str, RuleField | None, tuple[str, ...]]]]:
    """Source with `matches` routed to RE2 and each `has(e.…)` replaced by a variable."""
    edits: list[tuple[int, int, str]] = []
    has: list[tuple[str, RuleField | None, tuple[str, ...]]] = []
    by_first = {sel.first: sel for sel in selections}
    for i, tok in enumerate(tokens):
        next_text = tokens[i + 1].text if i + 1 < len(tokens) else ""
        if tok.kind == "ident" and tok.text == "matches" and next_text == "(":
            edits.append((tok.start, tok.start + len(tok.text), RE2_FUNCTION))
        if (
            tok.kind == "ident"
            and tok.text == "has"
            and next_text == "("
            and i + 2 in by_first
            and by_first[i + 2].last + 1 < len(tokens)
            and tokens[by_first[i + 2].last + 1].text == ")"
        ):
            sel = by_first[i + 2]
            name = f"{HAS_PREFIX}{len(has)}"
            leaf = rule_fields().get(sel.path)
            keys = leaf.keys if leaf is not None else tuple(sel.path.split("."))
            has.append((name, leaf, keys))
            close = tokens[sel.last + 1]
            edits.append((tok.start, close.start + 1, name))
    out = source
    for start, end, text in sorted(edits, reverse=True):
        out = out[:start] + text + out[end:]
    return out, has
