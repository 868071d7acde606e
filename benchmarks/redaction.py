"""Redaction precision and cost: this tree against a baseline revision, in one run.

Precision: redactions per MB of text that holds no real secret, so every one is a false
positive: the `.py` files of the installed Python standard library and the recorded agent
fixtures (tests/fixtures/agents), each fed in 64 KiB strings through `Redactor.redact_event`
(the collector's path). Recall: how many catalog examples each tree redacts at all.
Cost: µs per event through the collector pipeline (`build_pipeline(...).process_serialized`,
batches of 100; the fastest of 7 rounds in each of `--cost-runs` alternating processes) and
through the redaction stage alone, for clean events shaped like the
recorded Claude Code log records and for dirty ones (the same, each with one catalog example
in its tool input). Hook path: a fresh interpreter imports the redaction module, builds the
stdlib `Redactor(prefilter=False)` and redacts one clean hook payload, then one dirty one.

The baseline is `git archive <rev> beacon` extracted to a temporary directory and put first
on PYTHONPATH of a child process; this tree runs the same child code. Prints Markdown tables.

    python benchmarks/redaction.py [--baseline d37d084] [--events 3000] [--hook-runs 20]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "agents"
LOG_FIXTURE = FIXTURES / "claude-code-2.1.197" / "json1" / "otlp" / "0002-logs.json"
HOOK_FIXTURE = (
    FIXTURES / "claude-code-2.1.197" / "json1" / "hooks" / "http" / "0003-PostToolUse.json"
)
CHUNK = 64 * 1024
BATCH = 100


# ---------------------------------------------------------------- child measurements


def _chunks(text: str) -> list[str]:
    """`text` in pieces of at most CHUNK characters, cut at line ends where possible."""
    out = []
    while len(text) > CHUNK:
        cut = text.rfind("\n", 0, CHUNK) + 1 or CHUNK
        out.append(text[:cut])
        text = text[cut:]
    if text:
        out.append(text)
    return out


def child_precision(files: list[list[str]]) -> dict[str, Any]:
    """Redactions over the given (source, path) files, by source; kinds when known."""
    from beacon.pipeline.redact import Redactor

    redactor = Redactor()
    by_source: dict[str, dict[str, float]] = {}
    kinds: dict[str, int] = {}
    started = time.perf_counter()
    for source, path in files:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        stats = by_source.setdefault(source, {"bytes": 0, "redactions": 0, "files": 0})
        stats["files"] += 1
        stats["bytes"] += len(text.encode("utf-8", "replace"))
        for chunk in _chunks(text):
            found = redactor.redact_event({"text": chunk})
            stats["redactions"] += found
            if found:
                for kind, n in _kinds_of(chunk).items():
                    kinds[kind] = kinds.get(kind, 0) + n
    return {
        "beacon": _beacon_path(),
        "sources": by_source,
        "kinds": kinds,
        "seconds": time.perf_counter() - started,
    }


def _kinds_of(text: str) -> dict[str, int]:
    """Which catalog kinds redact in `text` (this tree only; the baseline has no catalog)."""
    try:
        from beacon.pipeline.redact import Redactor, kinds_in
        from beacon.pipeline.secret_catalog import KINDS
    except ImportError:
        return {}
    found = {}
    for index in kinds_in(text):
        _, n = Redactor(prefilter=False)._apply(text, (index,))
        if n:
            found[KINDS[index].id] = n
    return found


def _beacon_path() -> str:
    import beacon

    return str(Path(beacon.__file__).parent)


def _templates(dirty: list[str]) -> tuple[list[bytes], list[bytes]]:
    """Clean events from the recorded Claude Code log records, and dirty copies of them."""
    import orjson

    from beacon.schema import new_event

    data = json.loads(LOG_FIXTURE.read_text())
    records = data["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    clean: list[bytes] = []
    for record in records:
        attrs = {a["key"]: next(iter(a["value"].values()), None) for a in record["attributes"]}
        attrs.setdefault(
            "tool_parameters",
            json.dumps({"command": "ls -la /home/dev/project && git status --short"}),
        )
        event = new_event(
            "command.executed",
            harness="claude_code",
            message=str((record.get("body") or {}).get("stringValue", "")),
            session={"id": str(attrs.get("session.id", ""))},
            prompt={"text": "Refactor the collector so gzip bodies are bounded, then test."},
            raw={"otel_signal": "logs", "attributes": attrs},
        )
        clean.append(orjson.dumps(event))
    dirty_blobs = []
    for i, text in enumerate(dirty):
        event = orjson.loads(clean[i % len(clean)])
        event["raw"]["attributes"]["tool_input"] = json.dumps({"command": text})
        dirty_blobs.append(orjson.dumps(event))
    return clean, dirty_blobs


def child_cost(dirty: list[str], count: int) -> dict[str, Any]:
    """Median µs per event: whole pipeline and redaction stage, clean and dirty events."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import orjson

    from beacon.config import load_config
    from beacon.pipeline import build_pipeline
    from beacon.pipeline.base import Pipeline, Serialized
    from beacon.pipeline.redact import Redact, Redactor

    clean, dirty_blobs = _templates(dirty)

    def redaction_only() -> Any:
        serialized = Serialized()
        return Pipeline([Redact(Redactor(), serialized)], serialized)

    results: dict[str, Any] = {"beacon": _beacon_path()}
    for name, blobs in (("clean", clean), ("dirty", dirty_blobs)):
        for stage, make in (
            ("pipeline", lambda: build_pipeline(load_config(env={}))),
            ("redaction", redaction_only),
        ):
            pipeline = make()
            pipeline.process_serialized([orjson.loads(b) for b in blobs[:BATCH]])  # warm up
            rounds = []
            for _ in range(7):
                events = [orjson.loads(blobs[i % len(blobs)]) for i in range(count)]
                started = time.perf_counter()
                for i in range(0, count, BATCH):
                    pipeline.process_serialized(events[i : i + BATCH])
                rounds.append((time.perf_counter() - started) / count * 1e6)
            results[f"{name}_{stage}_us"] = min(rounds)
    redactor = Redactor()
    redacted = 0
    for text in dirty:
        event = {"tool_input": text}
        redacted += redactor.redact_event(event) > 0
    results["examples_redacted"] = redacted
    return results


def child_hook(clean: str, dirty: str) -> dict[str, Any]:
    """ms to import the redaction module, build the stdlib redactor and use it once."""
    import importlib
    import re  # noqa: F401 - imported before timing: the hook path has it already
    import types

    if "beacon.pipeline" not in sys.modules:  # skip the package __init__ (eager in old trees)
        import beacon

        package = types.ModuleType("beacon.pipeline")
        package.__path__ = [str(Path(beacon.__file__).parent / "pipeline")]
        sys.modules["beacon.pipeline"] = package
    importlib.import_module("beacon.pipeline.base")
    importlib.import_module("beacon.schema.event")
    started = time.perf_counter()
    redact = importlib.import_module("beacon.pipeline.redact")
    imported = time.perf_counter()
    redactor = redact.Redactor(prefilter=False)
    clean_count = redactor.redact_event(json.loads(clean))
    first = time.perf_counter()
    dirty_count = redactor.redact_event(json.loads(dirty))
    second = time.perf_counter()
    return {
        "import_ms": (imported - started) * 1000,
        "clean_ms": (first - imported) * 1000,
        "dirty_ms": (second - first) * 1000,
        "clean_count": clean_count,
        "dirty_count": dirty_count,
    }


# ---------------------------------------------------------------- parent


def extract(revision: str, into: Path) -> Path:
    """`beacon/` of `revision` under `into`, byte-compiled."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "beacon"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def _env(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BEACON_", "PYTHON"))}
    env["PYTHONPATH"] = str(tree)
    return env


def compile_tree(tree: Path) -> None:
    """Write bytecode caches, as an installed package has (imports are measured)."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(tree / "beacon")],
        check=True,
        env=_env(tree),
        capture_output=True,
    )


def run_child(tree: Path, mode: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run `mode` in a fresh interpreter with `tree` first on PYTHONPATH."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(payload, handle)
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", mode, "--input", handle.name],
            check=True,
            capture_output=True,
            text=True,
            env=_env(tree),
            cwd=tempfile.gettempdir(),
        )
    finally:
        os.unlink(handle.name)
    result: dict[str, Any] = json.loads(done.stdout)
    if mode != "hook" and Path(result["beacon"]) != tree / "beacon":
        raise SystemExit(f"child imported {result['beacon']}, not {tree / 'beacon'}")
    return result


def corpus(limit_mb: float) -> list[list[str]]:
    """(source, path) of the stdlib `.py` files (up to `limit_mb`) and the fixtures."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files: list[list[str]] = []
    total = 0
    for path in sorted(stdlib.rglob("*.py")):
        if "site-packages" in path.parts or "dist-packages" in path.parts:
            continue
        total += path.stat().st_size
        if total > limit_mb * 1e6:
            break
        files.append(["stdlib", str(path)])
    files += [["fixtures", str(p)] for p in sorted(FIXTURES.rglob("*")) if p.is_file()]
    return files


def _change(before: float, after: float) -> str:
    return f"{(after - before) / before * 100:+.1f} %" if before else "n/a"


def main() -> int:
    """Measure both trees and print the tables for docs/performance.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="d37d084", help="revision to compare against")
    parser.add_argument("--stdlib-mb", type=float, default=1000.0, help="cap on stdlib text")
    parser.add_argument("--events", type=int, default=3000, help="events per cost round")
    parser.add_argument("--cost-runs", type=int, default=3, help="cost processes per tree")
    parser.add_argument("--hook-runs", type=int, default=20, help="fresh processes per tree")
    parser.add_argument("--child", choices=("precision", "cost", "hook"))
    parser.add_argument("--input")
    args = parser.parse_args()
    if args.child:
        payload = json.loads(Path(args.input).read_text())
        if args.child == "precision":
            result = child_precision(payload["files"])
        elif args.child == "cost":
            result = child_cost(payload["dirty"], payload["events"])
        else:
            result = child_hook(payload["clean"], payload["dirty"])
        print(json.dumps(result))
        return 0

    sys.path.insert(0, str(ROOT))
    from beacon.pipeline.secret_catalog import KINDS

    dirty = [kind.render() for kind in KINDS]
    files = corpus(args.stdlib_mb)
    clean_hook = HOOK_FIXTURE.read_text()
    payload = json.loads(clean_hook)
    payload["tool_input"]["command"] = (
        "curl -H 'Authorization: Bearer FAKEtoken0123456789' \
https://api.example.com && export GITHUB_TOKEN=ghp_"
        + "FAKE" * 9
    )
    dirty_hook = json.dumps(payload)
    with tempfile.TemporaryDirectory() as tmp:
        trees = {
            f"baseline ({args.baseline})": extract(args.baseline, Path(tmp) / "baseline"),
            "this tree": ROOT,
        }
        for tree in trees.values():
            compile_tree(tree)
        precision = {n: run_child(t, "precision", {"files": files}) for n, t in trees.items()}
        cost: dict[str, dict[str, Any]] = {name: {} for name in trees}
        for _ in range(args.cost_runs):  # alternating; the fastest round of each counts
            for name, tree in trees.items():
                result = run_child(tree, "cost", {"dirty": dirty, "events": args.events})
                for key, value in result.items():
                    best = cost[name].get(key)
                    if key.endswith("_us") and best is not None:
                        value = min(value, best)
                    cost[name][key] = value
        hooks: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
        for _ in range(args.hook_runs):  # interleaved, so machine load hits both alike
            for name, tree in trees.items():
                hooks[name].append(
                    run_child(tree, "hook", {"clean": clean_hook, "dirty": dirty_hook})
                )
    print_tables(precision, cost, hooks, len(KINDS))
    return 0


def print_tables(
    precision: dict[str, Any],
    cost: dict[str, Any],
    hooks: dict[str, list[dict[str, Any]]],
    kinds: int,
) -> None:
    """Markdown tables: precision, cost, hook start-up; then this tree's top false kinds."""
    (base_name, base), (name, this) = precision.items()
    print(f"| measurement | {base_name} | {name} | change |")
    print("|---|---|---|---|")
    for source in this["sources"]:
        b, t = base["sources"][source], this["sources"][source]
        mb = t["bytes"] / 1e6
        rate_b, rate_t = b["redactions"] / mb, t["redactions"] / mb
        print(
            f"| false redactions per MB, {source} ({t['files']} files, {mb:.1f} MB) "
            f"| {rate_b:.2f} ({b['redactions']}) | {rate_t:.2f} ({t['redactions']}) "
            f"| {_change(rate_b, rate_t)} |"
        )
    (_, cost_b), (_, cost_t) = cost.items()
    print(
        f"| catalog examples redacted ({kinds}, plain) | {cost_b['examples_redacted']} "
        f"| {cost_t['examples_redacted']} | |"
    )
    labels = {
        "clean_pipeline_us": "clean event, whole pipeline",
        "clean_redaction_us": "clean event, redaction stage",
        "dirty_pipeline_us": "dirty event, whole pipeline",
        "dirty_redaction_us": "dirty event, redaction stage",
    }
    for key, label in labels.items():
        print(
            f"| {label} | {cost_b[key]:.2f} µs | {cost_t[key]:.2f} µs "
            f"| {_change(cost_b[key], cost_t[key])} |"
        )
    (_, hook_b), (_, hook_t) = hooks.items()
    for key, label in (
        ("import_ms", "hook path: import the redaction module"),
        ("clean_ms", "hook path: build the stdlib redactor + first clean payload"),
        ("dirty_ms", "hook path: then a payload with two secrets"),
    ):
        median_b = statistics.median(r[key] for r in hook_b)
        median_t = statistics.median(r[key] for r in hook_t)
        print(
            f"| {label} | {median_b:.2f} ms | {median_t:.2f} ms | {_change(median_b, median_t)} |"
        )
    total_b = statistics.median(r["import_ms"] + r["clean_ms"] for r in hook_b)
    total_t = statistics.median(r["import_ms"] + r["clean_ms"] for r in hook_t)
    print(
        f"| hook path: import + clean payload | {total_b:.2f} ms | {total_t:.2f} ms "
        f"| {total_t - total_b:+.2f} ms |"
    )
    print()
    print(f"False redactions in this tree by kind ({this['seconds']:.0f} s for the corpus):")
    print()
    print("| kind | redactions |")
    print("|---|---|")
    for kind, n in sorted(this["kinds"].items(), key=lambda item: -item[1])[:12]:
        print(f"| `{kind}` | {n} |")


if __name__ == "__main__":
    sys.exit(main())
