"""klonos track (SQLite severity tracker) and the plots, as a person uses
them: ordering, baseline change, MDC flags, trends, idempotent and
concurrent adds, a process killed mid-add, a database from a newer schema,
exports, plots written atomically, and clear errors (docs/tracker.md).

Environment (set by meson): KLONOS_CLI (the built executable),
KLONOS_TEST_TMP (scratch folder)."""
import csv
import datetime
import io
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import tempfile
import time
import unittest

CLI = os.environ.get("KLONOS_CLI", "klonos")
SCORES = ("motor", "myoclonus", "stance", "gait")


def run(*args, env=None, **kw):
    e = dict(os.environ)
    e.pop("KLONOS_MDC", None)
    if env:
        e.update(env)
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120, env=e, **kw)


def synth(path, severity, seed, scenario="walking-jerks", duration="2m", rate=None):
    args = ["synth", "-q", "--no-truth", "-o", path, "--scenario", scenario, "--severity", str(severity),
            "--duration", duration, "--seed", str(seed)]
    if rate:
        args += ["--rate", str(rate)]
    r = run(*args)
    assert r.returncode == 0, r.stderr
    return path


def iso_csv(path, start, seed):
    """A CSV with ISO-8601 time stamps: the reader takes the start time from it."""
    tmp = path + ".src.csv"
    synth(tmp, 0.5, seed, duration="90s", rate=50)
    with open(tmp) as f, open(path, "w") as o:
        f.readline()
        o.write("time,x,y,z\n")
        for line in f:
            t, x, y, z = line.strip().split(",")
            ts = (start + datetime.timedelta(seconds=float(t))).isoformat(timespec="milliseconds")
            o.write(f"{ts},{x},{y},{z}\n")
    os.remove(tmp)
    return path


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def db_rows(db, sql="SELECT count(*) FROM recordings"):
    c = sqlite3.connect(db)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def check_whole(testcase, db):
    """integrity_check is ok and every row is whole: its columns agree with its stored report."""
    c = sqlite3.connect(db)
    try:
        testcase.assertEqual(c.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
        if not c.execute("SELECT count(*) FROM sqlite_master WHERE name = 'recordings'").fetchone()[0]:
            # Killed before the schema was committed: nothing may be half there.
            testcase.assertEqual(c.execute("PRAGMA user_version").fetchone()[0], 0)
            testcase.assertEqual(c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0], 0)
            return
        for (rid, motor, dur, rep, sha, params) in c.execute(
                "SELECT id, motor, duration_s, report_json, content_sha256, params_json FROM recordings"):
            d = json.loads(rep)
            json.loads(params)
            testcase.assertEqual(len(sha), 64)
            testcase.assertAlmostEqual(d["recording"]["duration_s"], dur)
            if motor is None:
                testcase.assertIsNone(d["severity"]["motor"])
            else:
                testcase.assertAlmostEqual(d["severity"]["motor"], motor)
        orphans = c.execute("SELECT count(*) FROM recordings r LEFT JOIN subjects s ON s.id = r.subject_id "
                            "WHERE s.id IS NULL").fetchone()[0]
        testcase.assertEqual(orphans, 0)
    finally:
        c.close()


class Track(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        base = os.environ.get("KLONOS_TEST_TMP") or None
        if base:
            os.makedirs(base, exist_ok=True)
        cls.rec_dir = tempfile.mkdtemp(prefix="track-rec-", dir=base)
        # Six visits, getting better: severity 0.8 -> 0.2.
        cls.recs = [synth(os.path.join(cls.rec_dir, f"visit{i}.wav"), round(0.8 - 0.12 * i, 2), i + 1)
                    for i in range(6)]
        cls.dates = [f"2026-01-{5 + 7 * i:02d}" if i < 4 else f"2026-02-{5 + 7 * (i - 4):02d}" for i in range(6)]
        cls.iso = iso_csv(os.path.join(cls.rec_dir, "clock.csv"), datetime.datetime(2026, 3, 1, 22, 15), 99)
        cls.digests = {p: read_bytes(p) for p in cls.recs + [cls.iso]}

    def setUp(self):
        base = os.environ.get("KLONOS_TEST_TMP") or None
        self.dir = tempfile.mkdtemp(prefix="track-", dir=base)
        self.db = os.path.join(self.dir, "t.db")

    def add(self, subject, path, date=None, *extra, db=None, expect=0):
        args = ["track", "add", "--db", db or self.db, "--subject", subject, *extra]
        if date:
            args += ["--date", date]
        r = run(*args, path)
        self.assertEqual(r.returncode, expect, r.stdout + r.stderr)
        return r

    def add_all(self, subject="P01", order=None):
        for i in order or range(6):
            self.add(subject, self.recs[i], self.dates[i])

    def show(self, *extra, subject="P01", env=None):
        r = run("track", "show", "--db", self.db, "--subject", subject, "--format", "json", *extra, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    # --- ordering, baseline, MDC, trend -------------------------------------------------

    def test_rows_in_date_order_whatever_the_add_order(self):
        self.add_all(order=[3, 0, 5, 1, 4, 2])
        d = self.show()
        dates = [r["recorded_at"] for r in d["recordings"]]
        self.assertEqual(dates, sorted(dates))
        self.assertEqual([x[:10] for x in dates], self.dates)
        text = run("track", "show", "--db", self.db, "--subject", "P01").stdout
        pos = [text.index(day) for day in self.dates]
        self.assertEqual(pos, sorted(pos))
        self.assertIn("Trend per week", text)

    def test_change_from_first_recording_and_from_baseline_date(self):
        self.add_all()
        d = self.show()
        recs = d["recordings"]
        self.assertTrue(recs[0]["baseline"])
        for k in ("motor", "myoclonus"):
            b = recs[0]["scores"][k]
            self.assertEqual(d["baseline"]["values"][k], b)
            for r in recs:
                self.assertAlmostEqual(r["change"][k], r["scores"][k] - b, places=9)
        d2 = self.show("--baseline", "2026-01-13")  # between visit 1 and 2: visit 2 is the baseline
        self.assertEqual(d2["baseline"]["recorded_at"][:10], self.dates[2])
        self.assertEqual(d2["recordings"][2]["change"]["motor"], 0)
        b = d2["recordings"][2]["scores"]["motor"]
        self.assertAlmostEqual(d2["recordings"][0]["change"]["motor"], d2["recordings"][0]["scores"]["motor"] - b)
        self.assertEqual(d2["trend"]["motor"]["n"], 4)  # the trend runs from the baseline on
        r = run("track", "show", "--db", self.db, "--subject", "P01", "--baseline", "2027-01-01")
        self.assertEqual(r.returncode, 1)
        self.assertIn("baseline", r.stderr)

    def test_mdc_flag_exactly_where_change_exceeds_it(self):
        self.add_all()
        d = self.show()
        changes = [abs(r["change"]["motor"]) for r in d["recordings"][1:]]
        mdc = round(statistics.median(changes), 3) + 0.0005  # some above, some below
        for source, kw in (("--mdc", dict(extra=("--mdc", f"motor={mdc}"))),
                           ("KLONOS_MDC", dict(env={"KLONOS_MDC": f"motor={mdc}"}))):
            d = self.show(*kw.get("extra", ()), env=kw.get("env"))
            self.assertEqual(d["mdc95"]["motor"], mdc, source)
            self.assertIn(source, d["mdc95_source"])
            for r in d["recordings"]:
                self.assertEqual(r["beyond_mdc"]["motor"], abs(r["change"]["motor"]) > mdc, source)
            flagged = sum(r["beyond_mdc"]["motor"] for r in d["recordings"])
            self.assertTrue(0 < flagged < 6, source)
        # --mdc wins over the environment; the defaults say they are provisional.
        d = self.show("--mdc", "motor=99", env={"KLONOS_MDC": "motor=1"})
        self.assertEqual(d["mdc95"]["motor"], 99)
        self.assertFalse(any(r["beyond_mdc"]["motor"] for r in d["recordings"]))
        self.assertEqual(self.show()["mdc95_source"], "measured")
        text = run("track", "show", "--db", self.db, "--subject", "P01", "--mdc", "motor=0.01").stdout
        self.assertIn("*", text)
        for bad in ("motor", "tremor=3", "motor=-1", "motor=abc"):
            r = run("track", "show", "--db", self.db, "--subject", "P01", "--mdc", bad)
            self.assertEqual(r.returncode, 2, bad)
        r = run("track", "show", "--db", self.db, "--subject", "P01", env={"KLONOS_MDC": "nonsense"})
        self.assertEqual(r.returncode, 2)
        self.assertIn("KLONOS_MDC", r.stderr)

    def test_trend_is_the_theil_sen_slope_per_week(self):
        self.add_all()
        d = self.show()
        for k in SCORES:
            pts = [(datetime.datetime.fromisoformat(r["recorded_at"]), r["scores"][k]) for r in d["recordings"]
                   if r["scores"][k] is not None]
            if len(pts) < 2:
                continue
            slopes = sorted((y2 - y1) / ((t2 - t1).total_seconds() / 604800)
                            for i, (t1, y1) in enumerate(pts) for (t2, y2) in pts[i + 1:])
            t = d["trend"][k]
            self.assertAlmostEqual(t["slope_per_week"], statistics.median(slopes), places=9, msg=k)
            if len(pts) >= 5:
                # the CI bound is one of the pairwise slopes (up to rounding in the last bits)
                self.assertTrue(any(abs(t["ci_low"] - s) <= 1e-9 * max(1.0, abs(s)) for s in slopes), (t["ci_low"], slopes))
                self.assertLessEqual(t["ci_low"], t["slope_per_week"])
                self.assertGreaterEqual(t["ci_high"], t["slope_per_week"])
        self.assertLess(d["trend"]["motor"]["slope_per_week"], 0)  # severity fell over the visits

    # --- adding ------------------------------------------------------------------------

    def test_same_file_twice_is_stored_once(self):
        self.add("P01", self.recs[0], "2026-01-05")
        r = self.add("P01", self.recs[0], "2026-01-05")
        self.assertIn("already stored", r.stdout)
        copy = os.path.join(self.dir, "renamed.wav")
        with open(copy, "wb") as f:
            f.write(self.digests[self.recs[0]])
        self.add("P01", copy, "2026-01-05")  # same bytes under another name
        self.assertEqual(db_rows(self.db), [(1,)])
        # Other analysis parameters: refused unless --replace, which re-analyses in place.
        r = self.add("P01", self.recs[0], "2026-01-05", "--placement", "chest", expect=1)
        self.assertIn("--replace", r.stderr)
        self.add("P01", self.recs[0], "2026-01-05", "--placement", "chest", "--replace")
        self.assertEqual(db_rows(self.db, "SELECT json_extract(params_json, '$.placement') FROM recordings"),
                         [("chest",)])
        # Another subject: stored for that subject too, with a warning.
        r = self.add("P02", self.recs[0], "2026-01-05")
        self.assertIn("also stored for subject P01", r.stderr)
        self.assertEqual(db_rows(self.db), [(2,)])

    def test_date_from_the_file_else_from_option_else_refused(self):
        self.add("P01", self.iso)
        r = self.add("P01", self.recs[0], expect=1)
        self.assertIn("--date", r.stderr)
        self.add("P01", self.recs[1], "2026-03-02T08:30")
        d = self.show()
        self.assertEqual([(r["recorded_at"], r["date_source"]) for r in d["recordings"]],
                         [("2026-03-01T22:15:00", "file"), ("2026-03-02T08:30:00", "option")])
        for bad in ("2026-13-01", "yesterday", "2026-03-01Z", "2026-02-30"):
            r = run("track", "add", "--db", self.db, "--subject", "P01", "--date", bad, self.recs[2])
            self.assertEqual(r.returncode, 2, bad)
        # One bad file does not stop the others; the exit status says so.
        r = run("track", "add", "--db", self.db, "--subject", "P03", "--date", "2026-01-01",
                os.path.join(self.dir, "missing.wav"), self.recs[3])
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing.wav", r.stderr)
        self.assertEqual(db_rows(self.db, "SELECT count(*) FROM recordings r JOIN subjects s ON s.id = r.subject_id "
                                          "WHERE s.name = 'P03'"), [(1,)])

    def test_two_concurrent_adds_both_land(self):
        a = [self.recs[i] for i in (0, 1, 2)] + [self.recs[5]]
        b = [self.recs[i] for i in (3, 4, 5)] + [self.recs[0]]
        env = dict(os.environ)
        procs = [subprocess.Popen([CLI, "track", "add", "-q", "--db", self.db, "--subject", s, "--date", "2026-01-01",
                                   *files], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for s, files in (("A", a), ("B", b))]
        outs = [p.communicate(timeout=120) for p in procs]  # also closes the pipes
        self.assertEqual([p.returncode for p in procs], [0, 0], outs)
        got = db_rows(self.db, "SELECT s.name, count(*) FROM recordings r JOIN subjects s ON s.id = r.subject_id "
                               "GROUP BY s.name ORDER BY s.name")
        self.assertEqual(got, [("A", 4), ("B", 4)])
        # The same subject and files from two processes at once: still once each.
        procs = [subprocess.Popen([CLI, "track", "add", "-q", "--db", self.db, "--subject", "C", "--date", "2026-01-01",
                                   *self.recs], stderr=subprocess.PIPE, text=True) for _ in range(2)]
        self.assertEqual([p.communicate(timeout=120) and p.returncode for p in procs], [0, 0])
        self.assertEqual(db_rows(self.db, "SELECT count(*) FROM recordings r JOIN subjects s ON s.id = r.subject_id "
                                          "WHERE s.name = 'C'"), [(6,)])
        check_whole(self, self.db)

    def test_kill_during_the_write_transaction_leaves_no_trace(self):
        self.add("P01", self.recs[0], "2026-01-05")
        p = subprocess.Popen([CLI, "track", "add", "--db", self.db, "--subject", "P01", "--date", "2026-01-12",
                              self.recs[1]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "KLONOS_TRACK_HOLD_TXN_MS": "20000"})
        line = p.stderr.readline()  # printed once the row is written but not committed
        self.assertIn("holding the write transaction", line)
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=30)
        check_whole(self, self.db)
        self.assertEqual(db_rows(self.db), [(1,)])
        # The database works on: the same file can be added now.
        self.add("P01", self.recs[1], "2026-01-12")
        self.assertEqual(db_rows(self.db), [(2,)])

    def test_kill_at_random_moments(self):
        rng = random.Random(1)
        for trial in range(4):
            p = subprocess.Popen([CLI, "track", "add", "-q", "--db", self.db, "--subject", f"K{trial}",
                                  "--date", "2026-01-01", *self.recs], stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.0, 0.25))
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=30)
            check_whole(self, self.db)
        self.add("K0", self.recs[0], "2026-01-01")
        check_whole(self, self.db)

    def test_newer_schema_is_refused_and_left_untouched(self):
        self.add("P01", self.recs[0], "2026-01-05")
        c = sqlite3.connect(self.db)
        c.execute("PRAGMA user_version = 99")
        c.commit()
        c.close()
        before = read_bytes(self.db)
        mtime = os.stat(self.db).st_mtime_ns
        for args in (["add", "--subject", "P01", "--date", "2026-01-12", self.recs[1]],
                     ["show", "--subject", "P01"], ["list"], ["export"],
                     ["plot", "--subject", "P01", "-o", os.path.join(self.dir, "p.png")]):
            r = run("track", args[0], "--db", self.db, *args[1:])
            self.assertEqual(r.returncode, 1, args)
            self.assertIn("schema version 99 is newer", r.stderr)
            self.assertIn("not changed", r.stderr)
        self.assertEqual(read_bytes(self.db), before)
        self.assertEqual(os.stat(self.db).st_mtime_ns, mtime)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "p.png")))

    # --- reading out ---------------------------------------------------------------------

    def test_export_and_list(self):
        self.add_all()
        self.add("P02", self.recs[0], "2026-01-05")
        r = run("track", "export", "--db", self.db, "--format", "csv")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertEqual(len(rows), 7)
        self.assertEqual({r["subject"] for r in rows}, {"P01", "P02"})
        for row in rows:
            json.loads(row["parameters"])
            self.assertEqual(len(row["content_sha256"]), 64)
        r = run("track", "export", "--db", self.db, "--format", "json", "--subject", "P01")
        lines = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual(len(lines), 6)
        for d in lines:
            self.assertEqual(d["subject"], "P01")
            self.assertIn("severity", d["report"])
            self.assertEqual(d["parameters"]["placement"], "lower-back")
            self.assertEqual(d["report"]["file"], d["file"])
        r = run("track", "list", "--db", self.db, "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([(s["subject"], s["recordings"]) for s in json.loads(r.stdout)], [("P01", 6), ("P02", 1)])
        text = run("track", "list", "--db", self.db).stdout
        self.assertIn("P01", text)
        r = run("track", "show", "--db", self.db, "--subject", "P01", "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertEqual(len(rows), 6)
        self.assertEqual(rows[0]["baseline"], "1")
        r = run("track", "show", "--db", self.db, "--subject", "nobody")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no recordings for subject nobody", r.stderr)

    # --- plots ---------------------------------------------------------------------------

    def assert_plot(self, path):
        data = read_bytes(path)
        if path.endswith(".png"):
            self.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n")
        elif path.endswith(".svg"):
            self.assertIn(b"<svg", data[:400])
            self.assertTrue(data.rstrip().endswith(b"</svg>"))
        else:
            self.assertEqual(data[:5], b"%PDF-")
            self.assertIn(b"%%EOF", data[-32:])
        self.assertGreater(len(data), 2000)

    def no_temp_files(self, folder):
        self.assertEqual([f for f in os.listdir(folder) if ".tmp-" in f], [])

    def test_track_plot_files(self):
        self.add_all()
        for ext in ("png", "svg", "pdf"):
            out = os.path.join(self.dir, f"p01.{ext}")
            r = run("track", "plot", "--db", self.db, "--subject", "P01", "-o", out,
                    "--event", "2026-01-20:IVIG", "--event", "2026-02-01T10:30:ACTH start")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assert_plot(out)
        self.no_temp_files(self.dir)
        for bad in (["-o", os.path.join(self.dir, "p.gif")], ["-o", os.path.join(self.dir, "p.png"), "--event", "IVIG"],
                    []):
            r = run("track", "plot", "--db", self.db, "--subject", "P01", *bad)
            self.assertEqual(r.returncode, 2, bad)
        r = run("track", "plot", "--db", self.db, "--subject", "P01", "-o", os.path.join(self.dir, "no", "p.png"))
        self.assertEqual(r.returncode, 3)
        self.assertIn("cannot write the plot", r.stderr)

    def test_analyze_plot_files(self):
        out = os.path.join(self.dir, "timeline.png")
        r = run("analyze", "--plot", out, self.recs[0])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_plot(out)
        out = os.path.join(self.dir, "tl.svg")
        r = run("analyze", "--plot", out, "--jobs", "2", self.recs[1], self.iso)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_plot(os.path.join(self.dir, "tl-1.svg"))
        self.assert_plot(os.path.join(self.dir, "tl-2.svg"))
        self.assertFalse(os.path.exists(out))
        self.no_temp_files(self.dir)
        self.assertEqual(run("analyze", "--plot", os.path.join(self.dir, "x.jpg"), self.recs[0]).returncode, 2)
        r = run("analyze", "--plot", os.path.join(self.dir, "missing", "x.pdf"), self.recs[0])
        self.assertEqual(r.returncode, 3)
        self.assertIn("cannot write the plot", r.stderr)

    # --- errors and safety -----------------------------------------------------------------

    def test_database_path_errors_are_clear(self):
        cases = [(self.dir, "is a directory"),
                 (os.path.join(self.dir, "no", "such", "t.db"), "does not exist"),
                 (self.recs[0], "not a SQLite database")]
        if os.geteuid() != 0:
            ro = os.path.join(self.dir, "ro")
            os.mkdir(ro, 0o555)
            cases.append((os.path.join(ro, "t.db"), "not writable"))
        elif os.path.isdir("/proc"):
            cases.append(("/proc/klonos-track-test.db", "cannot open the database"))
        for path, msg in cases:
            r = run("track", "add", "--db", path, "--subject", "P01", "--date", "2026-01-01", self.recs[1])
            self.assertEqual(r.returncode, 1, path)
            self.assertIn(msg, r.stderr, path)
        r = run("track", "show", "--db", os.path.join(self.dir, "absent.db"), "--subject", "P01")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no such database", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "absent.db")))
        other = os.path.join(self.dir, "other.db")
        c = sqlite3.connect(other)
        c.execute("CREATE TABLE t (x)")
        c.commit()
        c.close()
        r = run("track", "list", "--db", other)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not a klonos tracker database", r.stderr)
        for args in (["add", "--date", "2026-01-01", self.recs[0]], ["add", "--subject", "P01"], ["show"],
                     ["frobnicate"], ["list", "--bogus"]):
            self.assertEqual(run("track", *args, "--db", self.db).returncode, 2, args)

    def test_recordings_are_never_modified(self):
        stats = {p: os.stat(p).st_mtime_ns for p in self.digests}
        self.add_all()
        self.add("P01", self.iso)
        run("analyze", "--plot", os.path.join(self.dir, "x.png"), self.recs[0])
        for p, data in self.digests.items():
            self.assertEqual(read_bytes(p), data, p)
            self.assertEqual(os.stat(p).st_mtime_ns, stats[p], p)


if __name__ == "__main__":
    unittest.main()
