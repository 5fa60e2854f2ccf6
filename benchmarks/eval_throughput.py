"""Evaluation throughput on the demo models: models per minute per worker, by evaluator ("suite").

Builds the demo catalog's models offline (plus the real all-MiniLM-L6-v2 when its package is
installed) and runs every evaluator on each exactly as an eval worker does after fetching the
files: static evaluators in-process, the ones that load the model in a child forked from the warm
zygote (evaluators/zygote.py; EVALUATOR_ZYGOTE=0: a fresh process each) with EVALUATOR_THREADS
threads and the memory cap. Prints per evaluator the runs, skips, median and
total seconds, and models per minute per worker; then the whole pipeline per model; and, measured
in the same run (interleaved), the fixed cost of one fresh child process (interpreter + torch +
transformers imports: what every isolated run paid before the zygote) next to an isolated run.
Wall and CPU seconds both: on a shared machine the CPU figures are the steadier ones. Fetching from
S3 is not included (it is a re-hash of bytes that storage.md measures).

    .venv/bin/python benchmarks/eval_throughput.py [--models 4] [--evaluators format,domain-benchmark]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from evaluators import conf  # noqa: E402
from evaluators.isolation import child_environment, run_in_child  # noqa: E402
from evaluators.plugins import all_plugins  # noqa: E402
from evaluators.plugins.base import AUTO_MAP_FILES, ModelFacts, remote_code_reasons  # noqa: E402
from registry.demo.builders import build_model, write_card  # noqa: E402
from registry.demo.catalog import CATALOG, minilm_folder  # noqa: E402
from registry.formats import cards  # noqa: E402
from registry.formats import safetensors as header_rules  # noqa: E402


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the evaluation processes, including
    those the warm zygote forked and reaped, which RUSAGE_CHILDREN does not see)."""
    from evaluators.isolation import _ZYGOTE

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + _ZYGOTE.children_cpu_seconds


def child_startup(scratch: Path, threads: int) -> tuple[float, float]:
    """Wall and CPU seconds for a fresh child (same environment as an evaluation) to import what
    every model-loading evaluator imports before it can do anything."""
    code = "import torch, transformers, transformers.models.llama.modeling_llama"
    env = child_environment(scratch, threads)
    started, cpu_started = time.perf_counter(), cpu_seconds()
    subprocess.run([sys.executable, "-c", code], env=env, cwd=scratch, check=True)
    return time.perf_counter() - started, cpu_seconds() - cpu_started


def facts_of(folder: Path, *, repo_id: str, industry: str, task: str) -> ModelFacts:
    """What the registry would know about the folder once published (headers, configs, card)."""
    files = {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}
    configs = {n: json.loads((folder / n).read_text()) for n in AUTO_MAP_FILES if n in files}
    by_dtype: dict[str, int] = {}
    for path in (p for p in files if p.endswith(".safetensors")):
        with (folder / path).open("rb") as handle:
            size = (folder / path).stat().st_size
            length = header_rules.header_length(handle.read(8), file_size=size)
            summary = header_rules.parse_header(handle.read(length), file_size=size)
        for dtype, count in summary.parameters_by_dtype.items():
            by_dtype[dtype] = by_dtype.get(dtype, 0) + count
    card = cards.parse_card((folder / "README.md").read_bytes()) if "README.md" in files else None
    return ModelFacts(
        repo_id=repo_id,
        commit_id="0" * 40,
        industry=industry,
        task=task,
        files=files,
        config=configs.get("config.json", {}),
        tokenizer_config=configs.get("tokenizer_config.json", {}),
        parameters_by_dtype=by_dtype,
        card_metadata=card.metadata if card else {},
        card_body=card.body if card else "",
        remote_code=remote_code_reasons(files, configs),
    )


def demo_models(root: Path, limit: int | None) -> list[tuple[Path, ModelFacts]]:
    models = []
    for model in CATALOG[:limit]:
        folder = build_model(root / model.repo_id, architecture=model.architecture, industry=model.industry)
        metadata = {"license": model.license, "pipeline_tag": model.task, "tags": [model.industry]}
        write_card(folder, metadata=metadata, body=f"# {model.repo_id}\n\n## Intended uses\n\nDemo.\n")
        models.append(
            (folder, facts_of(folder, repo_id=model.repo_id, industry=model.industry, task=model.task))
        )
    minilm = minilm_folder()
    if minilm is not None and (limit is None or len(models) < limit + 1):
        facts = facts_of(
            minilm, repo_id="northwind/product-search-minilm", industry="retail", task="sentence-similarity"
        )
        models.append((minilm, facts))
    return models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=None, help="only the first N demo models (+ MiniLM)")
    parser.add_argument("--evaluators", default="", help="comma-separated evaluator names (default: all)")
    args = parser.parse_args()
    plugins = all_plugins()
    names = [n for n in args.evaluators.split(",") if n] or list(plugins)
    threads, cap = conf.threads(), conf.memory_cap_mb()
    print(
        f"# {os.cpu_count()} logical CPUs, load average {os.getloadavg()[0]:.1f}, {threads} thread(s) per run"
    )

    with tempfile.TemporaryDirectory(prefix="eval-bench-") as scratch:
        models = demo_models(Path(scratch), args.models)
        print(f"# {len(models)} models: " + ", ".join(f.repo_id for _, f in models))
        seconds: dict[str, list[float]] = {name: [] for name in names}
        cpu: dict[str, list[float]] = {name: [] for name in names}
        skipped: dict[str, int] = dict.fromkeys(names, 0)
        per_model: dict[str, float] = {}
        startup: list[tuple[float, float]] = []
        for folder, facts in models:
            for name in names:
                plugin = plugins[name]
                if plugin.unsupported_reason(facts):
                    skipped[name] += 1
                    continue
                started, cpu_started = time.perf_counter(), cpu_seconds()
                if plugin.isolated:
                    outcome = run_in_child(
                        plugin,
                        folder,
                        facts,
                        seed=0,
                        memory_cap_mb=cap,
                        threads=threads,
                        timeout_s=plugin.timeout_s,
                    )
                    result = outcome.result
                else:
                    result = plugin.run(folder, facts, seed=0)
                elapsed = time.perf_counter() - started
                seconds[name].append(elapsed)
                cpu[name].append(cpu_seconds() - cpu_started)
                per_model[facts.repo_id] = per_model.get(facts.repo_id, 0.0) + elapsed
                badge = (
                    f"{result.badge.label}: {result.badge.message}" if result.badge else result.reason[:60]
                )
                print(f"  {facts.repo_id:42} {name:17} {result.status:7} {elapsed:7.2f} s  {badge}")
            # interleaved with the evaluations, so that both see the same load
            startup.append(child_startup(Path(scratch), threads))

    print("\nevaluator          runs skipped  median wall s  median CPU s  models/min/worker  (CPU-bound)")
    for name in names:
        runs = seconds[name]
        if not runs:
            print(f"{name:18} {0:4} {skipped[name]:7}")
            continue
        rate, cpu_rate = 60 * len(runs) / sum(runs), 60 * len(runs) / max(sum(cpu[name]), 1e-9)
        print(
            f"{name:18} {len(runs):4} {skipped[name]:7} {statistics.median(runs):14.2f} "
            f"{statistics.median(cpu[name]):13.2f} {rate:18.1f} {cpu_rate:12.1f}"
        )
    total, total_cpu = sum(per_model.values()), sum(sum(values) for values in cpu.values())
    print(
        f"\nwhole pipeline: {len(per_model)} models in {total:.1f} s wall ({total_cpu:.1f} s CPU) = "
        f"{60 * len(per_model) / total:.2f} models/min/worker "
        f"({60 * len(per_model) / total_cpu:.2f} if CPU-bound on an idle core)"
    )
    isolated = [s for n in names if plugins[n].isolated for s in seconds[n]]
    isolated_cpu = [s for n in names if plugins[n].isolated for s in cpu[n]]
    if isolated:
        wall, cpu_time = statistics.median(w for w, _ in startup), statistics.median(c for _, c in startup)
        print(
            "a fresh child's start-up (python + torch + transformers imports; what the zygote saves), "
            "measured between the runs: "
            f"median {wall:.2f} s wall / {cpu_time:.2f} s CPU = {wall / statistics.median(isolated):.0%} / "
            f"{cpu_time / statistics.median(isolated_cpu):.0%} of the median isolated run"
        )


if __name__ == "__main__":
    main()
