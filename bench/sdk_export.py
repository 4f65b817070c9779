"""Benchmark of the Python SDK: build 1,000 Parallels of 1,000 Exec nodes (1,000,000 Exec) under a
Serial root, then export the pipeline JSON. Prints seconds for each and the peak memory.

    python3 bench/sdk_export.py [--parallels N] [--execs M] [--out FILE]   (default out: /dev/null)
Goal on a 2-core machine: <= 20 s in total and <= 2 GB peak."""
import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk"))
import pipewright as co  # noqa: E402
from pipewright.export import write_pipeline  # noqa: E402


def build(parallels, execs):
    root = co.Serial(env={"BENCH": "1"})
    for i in range(parallels):
        group = co.Parallel()
        for j in range(execs):
            group["exec%d" % j] = co.Exec("echo %d %d" % (i, j))
        root["group%d" % i] = group
    return root


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parallels", type=int, default=1000)
    parser.add_argument("--execs", type=int, default=1000)
    parser.add_argument("--out", default=os.devnull)
    args = parser.parse_args()

    start = time.perf_counter()
    root = build(args.parallels, args.execs)
    built = time.perf_counter()
    with open(args.out, "w", encoding="utf-8", buffering=1 << 20) as out:
        write_pipeline(root, out, "bench", os.path.abspath(__file__))
    exported = time.perf_counter()

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    peak_mb = peak / (1 << 20) if sys.platform == "darwin" else peak / 1024
    nodes = 1 + args.parallels * (1 + args.execs)
    print("nodes: %d" % nodes)
    print("build: %.2f s" % (built - start))
    print("export: %.2f s" % (exported - built))
    print("total: %.2f s" % (exported - start))
    print("peak memory: %.0f MB" % peak_mb)


if __name__ == "__main__":
    main()
