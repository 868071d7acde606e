"""A local runner for the composite action's bash steps, to test `action.yml` end to end.

Evaluates the small expression subset action.yml uses (`inputs.*`, `steps.*.outputs.*`,
`github.action_path`, `runner.temp`, `env.*`, string literals, `==`, `!=`, `&&`, `||`,
`always()`, `format()`), runs each `run:` step the way GitHub does
(`bash --noprofile --norc -eo pipefail`), collects step outputs from `$GITHUB_OUTPUT`, and
records `uses:` steps with their evaluated inputs instead of running them.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ci_harness import parse_command_file

TOKEN = re.compile(r"\s*('(?:[^']|'')*'|\|\||&&|==|!=|\(|\)|,|[A-Za-z_][\w.-]*)")
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)


@dataclass
class ActionRun:
    """What one run of the action did."""

    exit_code: int = 0
    outputs: dict[str, str] = field(default_factory=dict)
    steps: dict[str, dict[str, str]] = field(default_factory=dict)
    used: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""


class Evaluator:
    """Evaluates one expression against the run's contexts."""

    def __init__(self, contexts: dict[str, Any]) -> None:
        self.contexts = contexts

    def __call__(self, text: str) -> Any:
        self.tokens = TOKEN.findall(text)
        self.pos = 0
        value = self._or()
        assert self.pos == len(self.tokens), f"unparsed: {text!r}"
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            other = self._and()
            value = value if value else other
        return value

    def _and(self) -> Any:
        value = self._compare()
        while self._peek() == "&&":
            self._take()
            other = self._compare()
            value = other if value else value
        return value

    def _compare(self) -> Any:
        left = self._atom()
        if self._peek() in ("==", "!="):
            op = self._take()
            right = self._atom()
            equal = str(left).lower() == str(right).lower()
            return equal if op == "==" else not equal
        return left

    def _atom(self) -> Any:
        token = self._take()
        if token.startswith("'"):
            return token[1:-1].replace("''", "'")
        if token == "(":
            value = self._or()
            assert self._take() == ")"
            return value
        if self._peek() == "(":
            self._take()
            args = []
            while self._peek() != ")":
                args.append(self._or())
                if self._peek() == ",":
                    self._take()
            self._take()
            if token in ("always", "success"):
                return token == "always" or not self.contexts["failed"]
            assert token == "format", token
            return args[0].format(*args[1:])
        value: Any = self.contexts
        for part in token.split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        return value


def substitute(text: str, evaluate: Evaluator) -> str:
    """`text` with every `${{ … }}` replaced by its value."""
    return EXPRESSION.sub(lambda m: str(evaluate(m.group(1))), text)


def run_action(
    action: Path, inputs: dict[str, str], env: dict[str, str], workdir: Path
) -> ActionRun:
    """Run `action` with `inputs` in a job whose environment is `env`."""
    spec = yaml.safe_load(action.read_text())
    values = {name: str(meta.get("default", "")) for name, meta in spec["inputs"].items()}
    values.update(inputs)
    result = ActionRun()
    job_env = {**env, **parse_command_file(Path(env["GITHUB_ENV"]))}
    contexts: dict[str, Any] = {
        "inputs": values,
        "steps": result.steps,
        "github": {"action_path": str(action.parent)},
        "runner": {"temp": env["RUNNER_TEMP"]},
        "env": job_env,
        "failed": False,
    }
    evaluate = Evaluator(contexts)
    for n, step in enumerate(spec["runs"]["steps"]):
        condition = step.get("if", "success()")
        if not evaluate(EXPRESSION.sub(r"\1", str(condition))):
            continue
        step_id = step.get("id", f"step{n}")
        if "uses" in step:
            with_ = {k: substitute(str(v), evaluate) for k, v in step.get("with", {}).items()}
            result.used.append((step["uses"], with_))
            continue
        output = workdir / f"output-{step_id}"
        output.write_text("")
        script = workdir / f"step-{step_id}.sh"
        script.write_text(step["run"])
        step_env = {k: substitute(str(v), evaluate) for k, v in step.get("env", {}).items()}
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env={**job_env, **step_env, "GITHUB_OUTPUT": str(output)},
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=300,
        )
        result.ran.append(step_id)
        result.stdout += done.stdout  # workflow commands (`::error::`) go to stdout
        result.stderr += done.stderr
        result.steps[step_id] = {"outputs": parse_command_file(output)}  # type: ignore[dict-item]
        if done.returncode != 0:
            contexts["failed"] = True
            result.exit_code = done.returncode
    result.outputs = {
        name: substitute(meta["value"], evaluate) for name, meta in spec["outputs"].items()
    }
    return result
