#!/usr/bin/env python3
"""Tracker under load (robustness issue), with assertions:

(a) 8 concurrent `klonos track add` processes each adding the same 200
    recordings (random orders, one subject): every recording present once;
(b) 8 processes adding 25 distinct recordings each (8 subjects): 200 rows;
(c) 20 trials of 4 concurrent writers, some killed with SIGKILL at a random
    moment: after each trial PRAGMA integrity_check is ok, no duplicates,
    every stored row whole (valid report JSON whose scores and duration match
    the row's columns); re-adding afterwards completes every subject.

Usage: stress_track.py KLONOS_EXE   (environment: KLONOS_TEST_TMP for scratch)."""
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

K = sys.argv[1]
base = os.environ.get("KLONOS_TEST_TMP") or None
if base:
    os.makedirs(base, exist_ok=True)
D = tempfile.mkdtemp(prefix="stress-", dir=base)


def make_recordings(n=200):
    files = []
    for i in range(n):
        p = os.path.join(D, f"r{i:03d}.wav")
        subprocess.run([K, "synth", "-q", "--no-truth", "-o", p, "--scenario", "stance-jerks", "--duration", "30",
                        "--seed", str(i + 1), "--severity", str(round(0.1 + 0.004 * i, 3))], check=True)
        files.append(p)
    return files


def check(db):
    c = sqlite3.connect(db)
    ic = c.execute("pragma integrity_check").fetchall()
    n = c.execute("select count(*) from recordings").fetchone()[0]
    bad = c.execute("select count(*) from recordings where report_json is null or json_valid(report_json)=0 "
                    "or length(content_sha256)<>64").fetchone()[0]
    bad += c.execute("select count(*) from recordings where abs(coalesce(motor,-1) - coalesce(json_extract(report_json,"
                     "'$.severity.motor'),-1)) > 1e-9 or abs(duration_s - json_extract(report_json,"
                     "'$.recording.duration_s')) > 1e-9").fetchone()[0]
    dup = c.execute("select count(*) from (select subject_id, content_sha256, params_json, count(*) k "
                    "from recordings group by 1,2,3 having k>1)").fetchone()[0]
    c.close()
    return ic, n, bad, dup


def add(db, subject, files, **kw):
    return subprocess.Popen([K, "track", "add", "-q", "--db", db, "--subject", subject, "--date", "2026-01-01", *files],
                            stderr=subprocess.PIPE, text=True, **kw)


def main():
    failures = []
    files = make_recordings()
    t0 = time.time()
    db = os.path.join(D, "a.db")
    ps = []
    for k in range(8):
        fl = files[:]
        random.Random(k).shuffle(fl)
        ps.append(add(db, "S", fl))
    rcs = [p.wait() for p in ps]
    ic, n, bad, dup = check(db)
    print(f"(a) 8 x 200 same recordings: {time.time() - t0:.1f} s, exit codes {rcs}, integrity {ic[0][0]}, rows {n}, bad {bad}, dup {dup}")
    if rcs != [0] * 8 or ic != [("ok",)] or n != 200 or bad or dup:
        failures.append("(a)")

    t0 = time.time()
    db = os.path.join(D, "b.db")
    ps = [add(db, f"S{k}", files[k * 25:(k + 1) * 25]) for k in range(8)]
    rcs = [p.wait() for p in ps]
    ic, n, bad, dup = check(db)
    print(f"(b) 8 x 25 distinct: {time.time() - t0:.1f} s, exit codes {rcs}, integrity {ic[0][0]}, rows {n}, bad {bad}, dup {dup}")
    if rcs != [0] * 8 or ic != [("ok",)] or n != 200 or bad or dup:
        failures.append("(b)")

    db = os.path.join(D, "c.db")
    rng = random.Random(7)
    killed = 0
    for trial in range(20):
        ps = [add(db, f"K{k}", files[k * 50:(k + 1) * 50]) for k in range(4)]
        time.sleep(rng.uniform(0.005, 0.12))  # the adds take ~0.1-0.3 s: most kills land mid-add
        for v in rng.sample(ps, rng.randint(1, 4)):
            v.send_signal(signal.SIGKILL)
        for p in ps:
            p.wait()
            p.stderr.close()
        killed += sum(p.returncode == -signal.SIGKILL for p in ps)
        ic, n, bad, dup = check(db)
        if ic != [("ok",)] or bad or dup:
            failures.append(f"(c) trial {trial}: integrity {ic}, bad {bad}, dup {dup}")
    ps = [add(db, f"K{k}", files[k * 50:(k + 1) * 50]) for k in range(4)]
    rcs = [p.wait() for p in ps]
    ic, n, bad, dup = check(db)
    print(f"(c) 20 kill -9 trials ({killed} processes killed mid-add): every trial consistent: {not any(f.startswith('(c) trial') for f in failures)}; "
          f"after re-adding: exit codes {rcs}, rows {n}, integrity {ic[0][0]}, bad {bad}, dup {dup}")
    if rcs != [0] * 4 or n != 200 or bad or dup:
        failures.append("(c) re-add")
    shutil.rmtree(D, ignore_errors=True)
    print(f"stress: {0 if failures else 3} passed, {len(failures)} failed")
    for f in failures:
        print("FAILED", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
