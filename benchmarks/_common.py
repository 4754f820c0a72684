"""What every benchmark here shares: one process per measurement, median of runs, the load
average beside each figure, and a dated results file with the versions that produced it."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
#: The peers' own virtual environment (see benchmarks/README.md for how it is made).
PEERS_PYTHON = "/tmp/peers-venv/bin/python"


def run_json(cmd: list[str], timeout: float | None = None, threads: int = 1) -> dict:
    """Run one measurement in its own process; its last stdout line is a JSON object. A peer
    that fails or is missing gives ``{"error": ...}`` instead of stopping the benchmark.

    BLAS runs on one thread (the peers' numbers are single-threaded); surveyindex's own
    threads (``SURVEYINDEX_THREADS``) and Arrow's (``OMP_NUM_THREADS`` sizes its pool) are
    ``threads``: 1 unless a script measures the cores."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": str(threads),
           "MKL_NUM_THREADS": "1", "SURVEYINDEX_THREADS": str(threads)}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": str(exc)[:300]}
    lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    if proc.returncode or not lines:
        return {"error": (proc.stderr.strip() or proc.stdout.strip())[-300:]}
    return json.loads(lines[-1])


def measure(cmd: list[str], runs: int, timeout: float | None = None, threads: int = 1) -> dict:
    """Median over ``runs`` processes of every number each prints, with the 1-minute load
    average read before each run (the machine is shared: read the figure beside it)."""
    results, loads = [], []
    for _ in range(runs):
        loads.append(os.getloadavg()[0])
        res = run_json(cmd, timeout, threads)
        if "error" in res:
            return {**res, "load": loads}
        results.append(res)
    keys = [k for k in results[0] if isinstance(results[0][k], (int, float))]
    out = {k: median(r[k] for r in results) for k in keys}
    for k in results[0]:
        if k not in out:
            out[k] = results[0][k]
    return {**out, "runs": runs, "load": loads}


def versions(python: str, modules: list[str]) -> dict:
    """Versions of ``modules`` as ``python`` imports them (None where not installed)."""
    code = ("import json, importlib, sys\nout = {'python': sys.version.split()[0]}\n"
            f"for m in {modules!r}:\n    try:\n"
            "        out[m] = importlib.import_module(m).__version__\n"
            "    except Exception:\n        out[m] = None\nprint(json.dumps(out))")
    return run_json([python, "-c", code])


def r_versions(packages: list[str]) -> dict:
    code = ("cat('{', paste(sprintf('\"%s\": \"%s\"', c('R', " +
            ", ".join(f"'{p}'" for p in packages) + "), c(paste(R.version$major, R.version$minor,"
            " sep='.'), " + ", ".join(f"as.character(packageVersion('{p}'))" for p in packages) +
            ")), collapse=', '), '}\\n')")
    return run_json(["Rscript", "-e", code])


def machine() -> dict:
    return {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "host": platform.node(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "python": sys.version.split()[0], "load_at_start": list(os.getloadavg())}


def write_results(name: str, meta: dict, rows: list[dict], text: str) -> Path:
    """``benchmarks/results/<date>-<name>.json`` (everything) and ``.md`` (the printed table)."""
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"{dt.date.today().isoformat()}-{name}"
    meta = {**meta, "load_at_end": list(os.getloadavg())}
    stem.with_suffix(".json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    stem.with_suffix(".md").write_text(text)
    return stem.with_suffix(".md")
