"""Reading and the whole pipeline from a file, at the sizes of a tracker (not part of the tests).

    python benchmarks/bench_read.py                         # 200,000 and 2,000,000 respondents
    python benchmarks/bench_read.py --sizes 2000000 --no-pipeline
    python benchmarks/bench_read.py --runs 3 --name read-2   # median of 3, <date>-read-2.md

Data: the simulated soft-power survey (20 countries, 2 targets x 20 items + 2 favourability
items = 42 item columns, 4 demographics), written once as Parquet and as CSV. Each measurement
runs in its own process, once with every core (``SURVEYINDEX_THREADS`` = the cores) and once
with one (``--threads``): ``read_responses`` from each file, and ``run_pipeline`` (read,
validate, 200 bootstrap replicates, raking, index with intervals, reliability) plus
``write_report`` (the workbook) from each file, with wall and CPU seconds and the process's peak
memory (the median of ``--runs`` processes, with the 1-minute load average before each). Also
pyarrow's own read of the Parquet file, the floor of any reader. Writes
benchmarks/results/<date>-<name>.{json,md} (name ``read`` unless ``--name`` says otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _common import machine, measure, versions, write_results  # noqa: E402

COUNTRIES = 20


def make_files(n: int, data_dir: Path) -> dict[str, Path]:
    import surveyindex as si
    from surveyindex.datasets import COUNTRIES as BASE

    names = (BASE + ["AUS", "CAN", "ITA", "SAU", "RUS", "EGY", "KEN"])[:COUNTRIES]
    out = {"parquet": data_dir / f"responses_{n}.parquet", "csv": data_dir / f"responses_{n}.csv",
           "margins": data_dir / f"responses_{n}.margins.csv"}
    if all(p.exists() for p in out.values()):
        return out
    sim = si.simulate_softpower(n_per_country=n // len(names), countries=names, seed=1,
                                problems=False)
    sim.responses.to_parquet(out["parquet"])
    sim.responses.to_csv(out["csv"], index=False)
    sim.margins.to_csv(out["margins"], index=False)
    return out


def task(name: str, path: str, margins: str) -> dict:
    import surveyindex as si  # imports are not timed

    inst = si.load_instrument("softpower")
    t0, c0 = time.perf_counter(), time.process_time()
    if name == "pyarrow":
        import pyarrow.parquet as pq
        pq.read_table(path)
    elif name == "read":
        si.read_responses(path, inst)
    elif name == "pipeline":
        res = si.run_pipeline(inst, path, margins, replicates=200, progress=False)
        with tempfile.TemporaryDirectory() as tmp:
            si.write_report(res, Path(tmp) / "report.xlsx")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
            "peak_gib": peak}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[200_000, 2_000_000])
    ap.add_argument("--no-pipeline", action="store_true")
    ap.add_argument("--data-dir", default="/tmp/bench-read")
    ap.add_argument("--runs", type=int, default=1, help="processes per measurement (median)")
    ap.add_argument("--name", default="read", help="results file: <date>-<name>.{json,md}")
    cores = len(os.sched_getaffinity(0))
    ap.add_argument("--threads", type=int, nargs="+", default=sorted({cores, 1}, reverse=True),
                    help="SURVEYINDEX_THREADS of each measurement (default: the cores, then 1)")
    ap.add_argument("--task", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.task:
        print(json.dumps(task(*args.task)))
        return
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    start = machine()  # the date and load when the measurements begin
    rows, lines = [], []
    for n in args.sizes:
        files = make_files(n, data_dir)
        todo = [("pyarrow", "parquet"), ("read", "parquet"), ("read", "csv")]
        if not args.no_pipeline:
            todo += [("pipeline", "parquet"), ("pipeline", "csv")]
        how = "one process per line" if args.runs == 1 else \
            f"median of {args.runs} processes per line, load before each"
        lines.append(f"\nn = {n:,} respondents x 42 item columns ({how})")
        for name, kind in todo:
            for threads in ([1] if name == "pyarrow" else args.threads):
                res = measure([sys.executable, __file__, "--task", name, str(files[kind]),
                               str(files["margins"])], args.runs, threads=threads)
                load = res.pop("load")
                label = f"{name:<9}{kind:<8}{threads} thread{'s' * (threads > 1)}"
                if "error" in res:
                    lines.append(f"  {label:<28} failed: {res['error'][:200]}")
                    continue
                loads = "/".join(f"{x:.1f}" for x in load)
                lines.append(f"  {label:<28}{res['seconds']:8.2f} s wall {res['cpu_seconds']:8.2f}"
                             f" s CPU  peak {res['peak_gib']:.2f} GiB   load {loads}")
                rows.append({"n": n, "task": name, "file": kind, "threads": threads,
                             "load": load, **res})
    meta = {**start, "benchmark": "read",
            "versions": versions(sys.executable, ["numpy", "pandas", "pyarrow"])}
    text = "\n".join(lines) + "\n"
    print(text)
    body = f"# read benchmark {meta['date']}\n\nversions: {meta['versions']}\n```{text}```\n"
    print(f"written {write_results(args.name, meta, rows, body)}")


if __name__ == "__main__":
    main()
