#!/usr/bin/env python3
"""Performance benchmark (issue 8). From the source tree, after building:

    python3 tools/bench/bench_perf.py [--build build] [--quick]

Generates its own inputs with `klonos synth` (scenario daily: jerks, sway,
walking, lying, non-wear; 3 axes at 100 Hz): 24 h as float WAV and as int16
FLAC, and 7 days as float WAV (--quick: 1 h and 6 h). For each input it runs
(a) a plain libsndfile read of all frames (the floor, tools/bench/bench_read.c),
(b) `klonos info`, (c) `klonos analyze --jobs 1`, three times each, and
reports the best wall time, frames per second, peak resident memory (from
GNU time's %M) and the ratio to (a). When
/usr/bin/python3 has numpy and scipy it also runs the same core pipeline
written plainly in numpy/scipy (tools/bench/scipy_pipeline.py) on the 24 h WAV.
Standard library only."""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(cmd, runs=3):
    """Best wall time (s) and peak RSS (MiB) of cmd over runs. RSS comes
    from GNU time (%M): a small C parent, so the child's figure is not
    inflated by a copy of this Python process."""
    best, rss = None, 0.0
    with tempfile.NamedTemporaryFile() as tf:
        for _ in range(runs):
            t0 = time.perf_counter()
            p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf.name, *cmd],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            wall = time.perf_counter() - t0
            if p.returncode != 0:
                sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr.decode(errors='replace')}")
            best = wall if best is None or wall < best else best
            with open(tf.name) as f:
                rss = max(rss, float(f.read().split()[-1]) / 1024.0)
    return best, rss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    klonos = os.path.join(args.build, "tools", "klonos")
    reader = os.path.join(args.build, "tools", "bench", "bench_read")
    for exe in (klonos, reader):
        if not os.access(exe, os.X_OK):
            sys.exit(f"{exe} missing: build first (ninja -C {args.build})")
    day, week = ("1h", "6h") if args.quick else ("24h", "7d")
    frames = {"1h": 360000, "6h": 2160000, "24h": 8640000, "7d": 60480000}
    with tempfile.TemporaryDirectory(prefix="klonos-bench-") as d:
        inputs = [("day.wav", day), ("day.flac", day), ("week.wav", week)]
        for name, dur in inputs:
            subprocess.run([klonos, "synth", "--scenario", "daily", "--duration", dur, "--seed", "7", "-q",
                            "--no-truth", "-o", os.path.join(d, name)], check=True)
        print(f"{'input / step':34} {'wall s':>9} {'frames/s':>14} {'RSS MiB':>9} {'vs read':>9}")
        results = {}
        for name, dur in inputs:
            path = os.path.join(d, name)
            n = frames[dur]
            t_read, m_read = measure([reader, path])
            for step, cmd in (("read", [reader, path]), ("info", [klonos, "info", path]),
                              ("analyze", [klonos, "analyze", "--jobs", "1", path])):
                t, m = (t_read, m_read) if step == "read" else measure(cmd)
                results[(name, step)] = (t, m)
                print(f"{name + ' / ' + step:34} {t:9.3f} {n / t:14.0f} {m:9.1f} {t / t_read:8.2f}x")
        if subprocess.run(["/usr/bin/python3", "-c", "import numpy, scipy"], capture_output=True).returncode == 0:
            path = os.path.join(d, "day.wav")
            t, m = measure(["/usr/bin/python3", os.path.join(HERE, "scipy_pipeline.py"), path], runs=1)
            t_an, m_an = results[("day.wav", "analyze")]
            print(f"{'day.wav / numpy+scipy pipeline':34} {t:9.3f} {frames[day] / t:14.0f} {m:9.1f}")
            print(f"klonos analyze vs numpy/scipy on day.wav: {t / t_an:.1f}x faster, {m / m_an:.1f}x less memory")
        else:
            print("numpy/scipy comparison skipped: /usr/bin/python3 lacks numpy or scipy (apt-get install python3-scipy)")
        d_rss, w_rss = results[("day.wav", "analyze")][1], results[("week.wav", "analyze")][1]
        print(f"analyze peak memory {day} vs {week}: {d_rss:.1f} vs {w_rss:.1f} MiB ({100 * (w_rss / d_rss - 1):+.1f} %)")


if __name__ == "__main__":
    main()
