"""The two CEL libraries on PyPI, side by side: rule-format correctness and speed.

Compares `common-expression-language` (Rust cel bindings, module `cel`) and `cel-python`
(pure Python, module `celpy`) on what threat rules need — RE2 `matches` semantics, int/double
comparisons, absent fields — and on compile and evaluation time for a typical rule. The
baseline row is a plain RE2 search of the same pattern in the same run. Install both first:

    pip install common-expression-language cel-python google-re2
    python benchmarks/cel_libraries.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import re2

RULE = (
    'e.event.action == "command.executed" && e.command.command.matches('
    '"(?i)\\\\brm\\\\s+-[a-z]*[rf][a-z]*\\\\s+(/|~|\\\\$HOME|\\\\*)(\\\\s|$|/)")'
)
EVENT = {"event": {"action": "command.executed"}, "command": {"command": "rm -rf ./build"}}
CASES: list[tuple[str, str, dict[str, Any], Any]] = [
    ("matches is an unanchored search", 'x.matches("foo")', {"x": "xfooy"}, True),
    ("inline flags repeated after |", 'x.matches("(?i)foo|(?i)bar")', {"x": "BAR"}, True),
    ("\\x{HHHH} escape", 'x.matches("[\\\\x{202A}-\\\\x{202E}]")', {"x": "a\u202eb"}, True),
    ("RE2 \\Q…\\E quoting", 'x.matches("\\\\Qa.b\\\\E")', {"x": "a.b"}, True),
    ("RE2 \\d is ASCII only", 'x.matches("^\\\\d+$")', {"x": "\u0661\u0662"}, False),
    ("double > int literal", "x > 10", {"x": 24.0}, True),
    ("int > double literal", "x > 10.5", {"x": 24}, True),
    ("int == double", "x == 1.0", {"x": 1}, True),
    ("absent key selected", 'e.file.path == ""', {"e": {}}, "error"),
]


def bench(fn: Callable[[], Any], n: int) -> float:
    """Microseconds per call, best of three rounds."""
    fn()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - started) / n * 1e6)
    return best


def rust() -> tuple[Callable[[str, dict[str, Any]], Any], list[float]]:
    import cel

    def run(expr: str, variables: dict[str, Any]) -> Any:
        return cel.compile(expr).execute(variables)

    program = cel.compile(RULE)
    cache: dict[str, Any] = {}

    def re2_matches(text: str, pattern: str) -> bool:
        compiled = cache.get(pattern) or cache.setdefault(pattern, re2.compile(pattern))
        return compiled.search(text) is not None

    routed = cel.compile(RULE.replace(".matches(", ".re2Matches("))
    return run, [
        bench(lambda: cel.compile(RULE), 300),
        bench(lambda: program.execute({"e": EVENT}), 2000),
        bench(lambda: routed.execute(cel.Context({"e": EVENT}, {"re2Matches": re2_matches})), 5000),
    ]


def python() -> tuple[Callable[[str, dict[str, Any]], Any], list[float]]:
    import celpy

    def run(expr: str, variables: dict[str, Any]) -> Any:
        env = celpy.Environment()
        result = env.program(env.compile(expr)).evaluate(
            {k: celpy.json_to_cel(v) for k, v in variables.items()}
        )
        if isinstance(result, Exception):
            raise result
        return result

    env = celpy.Environment()
    program = env.program(env.compile(RULE))
    activation = {"e": celpy.json_to_cel(EVENT)}
    return run, [
        bench(lambda: env.program(env.compile(RULE)), 100),
        bench(lambda: program.evaluate(activation), 1000),
        float("nan"),
    ]


def main() -> None:
    libraries: dict[str, tuple[Callable[[str, dict[str, Any]], Any], list[float]]] = {}
    for name, load in (("common-expression-language", rust), ("cel-python", python)):
        try:
            libraries[name] = load()
        except ImportError:
            print(f"{name}: not installed, skipped")
    print(f"{'case':34} {'want':6} " + " ".join(f"{n:28}" for n in libraries))
    for label, expr, variables, want in CASES:
        cells = []
        for run, _ in libraries.values():
            try:
                got: Any = run(expr, variables)
            except Exception as exc:
                got = "error" if want == "error" else f"error: {str(exc)[:20]}"
            cells.append(f"{'ok' if got == want else 'WRONG'} ({got})"[:28])
        print(f"{label:34} {want!s:6} " + " ".join(f"{c:28}" for c in cells))
    print()
    baseline = bench(
        lambda: re2.compile("(?i)\\brm\\s+-[a-z]*[rf]").search("rm -rf ./build"), 20000
    )
    print(f"{'µs per call':34} " + " ".join(f"{n:>28}" for n in libraries))
    for i, label in enumerate(
        ("compile the rule", "evaluate (built-in matches)", "evaluate (RE2 via callback)")
    ):
        print(f"{label:34} " + " ".join(f"{t[i]:28.1f}" for _, t in libraries.values()))
    print(f"{'baseline: one RE2 search':34} {baseline:28.2f}")


if __name__ == "__main__":
    main()
