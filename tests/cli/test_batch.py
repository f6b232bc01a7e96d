"""klonos batch and batch-merge as a cohort study runs them (docs/batch.md):
manifest parsing, one JSON line per recording, failures logged and not
fatal, resuming after SIGKILL, shards that cover the manifest exactly once,
merging, and the GNU parallel recipe of tools/slurm/README.md.

Environment (set by meson): KLONOS_CLI (the built executable),
KLONOS_TEST_TMP (scratch folder)."""
import collections
import csv
import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

CLI = os.environ.get("KLONOS_CLI", "klonos")
M64 = (1 << 64) - 1


def run(*args, **kw):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300, **kw)


def shard_of(subject, path, n):
    """The shard function as docs/batch.md states it."""
    h = 0xCBF29CE484222325
    for b in subject.encode() + b"\0" + path.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & M64
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & M64
    h ^= h >> 31
    return h % n


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def write_manifest(path, rows, header="subject,date,path"):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(header + "\n")
        for row in rows:
            f.write(",".join(row) + "\n")


class Batch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        base = os.environ.get("KLONOS_TEST_TMP") or None
        if base:
            os.makedirs(base, exist_ok=True)
        cls.root = tempfile.mkdtemp(prefix="batch-", dir=base)
        # A few short recordings, shared read-only by the tests.
        cls.rec = os.path.join(cls.root, "rec")
        os.makedirs(cls.rec)
        scenarios = ["stance", "stance-jerks", "walking", "walking-jerks", "tremor", "daily"]
        cls.files = []
        for i, scenario in enumerate(scenarios):
            name = f"r{i}.flac"
            r = run("synth", "-q", "-o", os.path.join(cls.rec, name), "--scenario", scenario,
                    "--duration", "60", "--seed", str(i + 1), "--no-truth")
            assert r.returncode == 0, r.stderr
            cls.files.append(name)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="t-", dir=self.root)

    def cohort(self, n, name="manifest.csv"):
        """n rows over the shared recordings (paths relative to the manifest)."""
        rows = [(f"P{i:03d}", f"2024-03-{i % 28 + 1:02d}", f"../rec/{self.files[i % len(self.files)]}")
                for i in range(n)]
        path = os.path.join(self.dir, name)
        write_manifest(path, rows)
        return path, rows

    def assert_once_ok(self, out, rows):
        lines = read_jsonl(out)
        ok = collections.Counter((l["subject"], l["path"]) for l in lines if l["status"] == "ok")
        want = {(s, p) for s, _, p in rows}
        self.assertEqual(set(ok), want)
        self.assertEqual(max(ok.values()), 1, ok)
        return lines

    # ---- usage ----

    def test_usage(self):
        m, _ = self.cohort(2)
        r = run("batch", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("--shard K/N", r.stdout)
        self.assertIn("--placement", r.stdout)
        self.assertEqual(run("batch-merge", "--help").returncode, 0)
        for args in (["batch"], ["batch", m], ["batch", m, "-o", "x", "--shard", "2/2"],
                     ["batch", m, "-o", "x", "--shard", "a/2"], ["batch", m, "-o", "x", "--shard", "1/0"],
                     ["batch", m, "-o", "x", "--jobs", "0"], ["batch", m, m, "-o", "x"],
                     ["batch", m, "-o", "x", "--bogus"], ["batch-merge"], ["batch-merge", "-o", "t.csv"],
                     ["batch-merge", "-o", "t", "--format", "xml", "a.jsonl"]):
            r = run(*args, cwd=self.dir)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertTrue(r.stderr.strip(), args)
        self.assertIn("0 <= K < N", run("batch", m, "-o", "x", "--shard", "2/2").stderr)

    # ---- the manifest ----

    def test_manifest_quoting_order_bom_crlf_and_paths(self):
        sub = os.path.join(self.dir, "sub dir")
        os.makedirs(sub)
        shutil.copy(os.path.join(self.rec, self.files[0]), os.path.join(sub, "a, b.flac"))
        absolute = os.path.join(self.rec, self.files[1])
        text = ("\ufeffPath , Subject,site,DATE\r\n"
                '"sub dir/a, b.flac",  S1 ,Leeds,2024-01-02\r\n'
                "\r\n"
                f'{absolute},"S ""2""",York,\r\n'
                '"../rec/r2.flac","multi\nline",Leeds,2024-01-03\r\n')
        m = os.path.join(self.dir, "m.csv")
        with open(m, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        r = run("batch", m, "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = list(csv.DictReader(r.stdout.splitlines(keepends=True)))
        self.assertEqual([(g["line"], g["subject"], g["date"], g["path"], g["state"]) for g in got],
                         [("2", "S1", "2024-01-02", "sub dir/a, b.flac", "todo"),
                          ("4", 'S "2"', "", absolute, "todo"),
                          ("5", "multi\nline", "2024-01-03", "../rec/r2.flac", "todo")])
        # Run from another folder: relative paths follow the manifest.
        out = os.path.join(self.dir, "out.jsonl")
        r = run("batch", os.path.relpath(m, self.root), "-o", out, "--jobs", "2", cwd=self.root)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = read_jsonl(out)
        self.assertEqual(sorted(l["subject"] for l in lines), ['S "2"', "S1", "multi\nline"])
        by = {l["subject"]: l for l in lines}
        self.assertIsNone(by['S "2"']["date"])
        self.assertEqual(by["S1"]["date"], "2024-01-02")
        self.assertTrue(all(l["status"] == "ok" for l in lines))
        self.assertEqual(by["S1"]["report"]["file"], os.path.join(os.path.dirname(os.path.relpath(m, self.root)),
                                                                 "sub dir/a, b.flac"))

    def test_manifest_errors_name_the_line(self):
        cases = {
            "subject,date\nS1,2024-01-01\n": ":1: the header must name the columns subject and path",
            "subject,date,path\nS1,2024,a.flac,extra\n": ":2: 4 cells but the header has 3",
            "subject,date,path\nS1,2024,a.flac\n,2024,b.flac\n": ":3: empty subject",
            "subject,date,path\nS1,2024,\n": ":2: empty path",
            'subject,date,path\nS1,2024,"a.flac\n': ":2: a quoted cell is not closed",
            'subject,date,path\nS1,2024,"a"b\n': ":2: text after a closing quote",
            "subject,path,Subject\nS1,a,b\n": "appears twice",
            "": "empty manifest",
        }
        for text, message in cases.items():
            m = os.path.join(self.dir, "bad.csv")
            with open(m, "w", encoding="utf-8") as f:
                f.write(text)
            r = run("batch", m, "-o", os.path.join(self.dir, "o.jsonl"))
            self.assertEqual(r.returncode, 2, text)
            self.assertIn(message, r.stderr, text)
            self.assertIn("bad.csv", r.stderr)
        r = run("batch", os.path.join(self.dir, "nope.csv"), "-o", "o.jsonl")
        self.assertEqual(r.returncode, 2)
        self.assertIn("nope.csv", r.stderr)

    def test_duplicate_rows_are_analysed_once(self):
        m = os.path.join(self.dir, "m.csv")
        write_manifest(m, [("S1", "", "../rec/r0.flac"), ("S1", "", "../rec/r0.flac"), ("S2", "", "../rec/r0.flac")])
        out = os.path.join(self.dir, "o.jsonl")
        r = run("batch", m, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 rows repeat", r.stderr)
        self.assertEqual(len(read_jsonl(out)), 2)

    # ---- results ----

    def test_one_line_per_recording_with_the_canonical_report(self):
        m, rows = self.cohort(6)
        out = os.path.join(self.dir, "out.jsonl")
        r = run("batch", m, "-o", out, "--jobs", "3")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("6 ok, 0 failed", r.stderr)
        lines = self.assert_once_ok(out, rows)
        self.assertEqual(len(lines), 6)
        first = lines[0]
        self.assertEqual(list(first)[:7], ["subject", "date", "path", "status", "klonos_version", "parameters", "report"])
        self.assertEqual(first["klonos_version"], run("--version").stdout.split()[1])
        self.assertEqual(first["parameters"]["placement"], "lower-back")
        self.assertEqual(first["parameters"]["score_epoch_s"], 60)
        # The report is exactly what klonos analyze prints for that file.
        resolved = os.path.join(self.dir, first["path"])
        analyze = run("analyze", "--format", "json", resolved)
        self.assertEqual(analyze.returncode, 0, analyze.stderr)
        self.assertEqual(first["report"], json.loads(analyze.stdout))
        # --jobs 1 gives the same results (in another order, perhaps).
        out1 = os.path.join(self.dir, "out1.jsonl")
        self.assertEqual(run("batch", m, "-o", out1, "--jobs", "1", "-q").returncode, 0)
        key = lambda l: (l["subject"], l["path"])
        self.assertEqual(sorted(lines, key=key), sorted(read_jsonl(out1), key=key))

    def test_failure_is_logged_and_not_fatal(self):
        garbage = os.path.join(self.dir, "garbage.cwa")
        with open(garbage, "wb") as f:
            f.write(b"MD\x00\x00 this is not a recording" * 10)
        m = os.path.join(self.dir, "m.csv")
        write_manifest(m, [("S1", "", "../rec/r0.flac"), ("S2", "", "missing.flac"), ("S3", "", "garbage.cwa"),
                           ("S4", "", "../rec/r1.flac")])
        out = os.path.join(self.dir, "out.jsonl")
        r = run("batch", m, "-o", out, "--jobs", "2")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("FAILED subject S2, missing.flac", r.stderr)
        self.assertIn("FAILED subject S3, garbage.cwa", r.stderr)
        self.assertIn("2 ok, 2 failed", r.stderr)
        by = {l["subject"]: l for l in read_jsonl(out)}
        self.assertEqual(by["S1"]["status"], "ok")
        self.assertEqual(by["S4"]["status"], "ok")
        for s in ("S2", "S3"):
            self.assertEqual(by[s]["status"], "error")
            self.assertNotIn("report", by[s])
            self.assertEqual(set(by[s]["error"]), {"code", "name", "message"})
            self.assertTrue(by[s]["error"]["name"].startswith("KLONOS_E_"), by[s])
        self.assertIn("missing.flac", by["S2"]["error"]["message"])

    # ---- resuming ----

    def test_rerun_skips_done_and_retries_failed(self):
        m = os.path.join(self.dir, "m.csv")
        write_manifest(m, [("S1", "", "../rec/r0.flac"), ("S2", "", "late.flac")])
        out = os.path.join(self.dir, "out.jsonl")
        self.assertEqual(run("batch", m, "-o", out, "--jobs", "1").returncode, 1)
        r = run("batch", m, "-o", out)
        self.assertEqual(r.returncode, 1)
        self.assertIn("2 recordings in this shard, 1 already done, 1 to analyse", r.stderr)
        self.assertEqual([l["status"] for l in read_jsonl(out)].count("error"), 2)
        shutil.copy(os.path.join(self.rec, "r1.flac"), os.path.join(self.dir, "late.flac"))
        r = run("batch", m, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([l["status"] for l in read_jsonl(out)], ["ok", "error", "error", "ok"])
        before = os.path.getsize(out)
        r = run("batch", m, "-o", out)
        self.assertEqual(r.returncode, 0)
        self.assertIn("2 already done, 0 to analyse", r.stderr)
        self.assertEqual(os.path.getsize(out), before)

    def test_torn_last_line_is_cut_and_redone(self):
        m, rows = self.cohort(4)
        out = os.path.join(self.dir, "out.jsonl")
        self.assertEqual(run("batch", m, "-o", out).returncode, 0)
        with open(out, "rb") as f:
            data = f.read()
        cut = data.rstrip(b"\n").rfind(b"\n") + 1 + 100  # 100 bytes into the last line
        with open(out, "wb") as f:
            f.write(data[:cut])
        r = run("batch", m, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("out.jsonl:4: removed an incomplete last line (100 bytes)", r.stderr)
        self.assertIn("3 already done, 1 to analyse", r.stderr)
        self.assertEqual(len(self.assert_once_ok(out, rows)), 4)

    def test_sigkill_mid_run_then_rerun_gives_every_row_once(self):
        # One 6-hour recording (about half a second to analyse) under 10 subjects.
        day = os.path.join(self.dir, "day.flac")
        r = run("synth", "-q", "-o", day, "--scenario", "daily", "--duration", "6h", "--no-truth")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [(f"K{i}", "", "day.flac") for i in range(10)]
        m = os.path.join(self.dir, "m.csv")
        write_manifest(m, rows)
        out = os.path.join(self.dir, "out.jsonl")
        for kill_after_lines in (2, 5):
            p = subprocess.Popen([CLI, "batch", m, "-o", out, "--jobs", "2"], stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if os.path.exists(out):
                    with open(out, "rb") as f:
                        if f.read().count(b"\n") >= kill_after_lines:
                            break
                time.sleep(0.01)
            p.send_signal(signal.SIGKILL)
            p.wait()
            self.assertEqual(p.returncode, -signal.SIGKILL)
        with open(out, "rb") as f:
            done = f.read().count(b"\n")
        self.assertLess(done, 10, "the runs finished before they were killed: the test proves nothing")
        r = run("batch", m, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"{done} already done", r.stderr)
        lines = self.assert_once_ok(out, rows)
        self.assertEqual(len(lines), 10)

    def test_rerun_with_other_options_is_refused(self):
        m, _ = self.cohort(2)
        out = os.path.join(self.dir, "out.jsonl")
        self.assertEqual(run("batch", m, "-o", out).returncode, 0)
        size = os.path.getsize(out)
        for opts in (["--epoch", "4"], ["--score-epoch", "30"], ["--placement", "chest"], ["--calibrate"]):
            r = run("batch", m, "-o", out, *opts)
            self.assertEqual(r.returncode, 2, opts)
            self.assertIn("must not be mixed", r.stderr)
            self.assertEqual(os.path.getsize(out), size)

    def test_an_output_being_written_is_refused(self):
        m, _ = self.cohort(2)
        out = os.path.join(self.dir, "out.jsonl")
        with open(out, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            r = run("batch", m, "-o", out)
        self.assertEqual(r.returncode, 3)
        self.assertIn("being written by another klonos batch", r.stderr)
        self.assertEqual(os.path.getsize(out), 0)

    # ---- shards ----

    def test_shards_cover_the_manifest_exactly_once(self):
        # Dry runs: no recording is opened, so a big manifest is cheap.
        rows = [(f"sub-{i:05d}", "2024-01-01", f"wave{i % 3}/sub-{i:05d}.cwa") for i in range(3000)]
        m = os.path.join(self.dir, "m.csv")
        write_manifest(m, rows)
        shuffled = rows[:]
        random.Random(7).shuffle(shuffled)
        m2 = os.path.join(self.dir, "shuffled.csv")
        write_manifest(m2, shuffled)
        for n in (1, 2, 3, 7, 16, 5000):
            seen = collections.Counter()
            for k in range(n) if n < 100 else (0, 1, n - 1):
                r = run("batch", m, "--dry-run", "--shard", f"{k}/{n}")
                self.assertEqual(r.returncode, 0, r.stderr)
                mine = [(g["subject"], g["path"]) for g in csv.DictReader(r.stdout.splitlines())]
                self.assertTrue(all(shard_of(s, p, n) == k for s, p in mine), (k, n))
                # Row order does not matter: the same rows from a shuffled manifest.
                r2 = run("batch", m2, "--dry-run", "--shard", f"{k}/{n}")
                self.assertEqual(sorted(mine), sorted((g["subject"], g["path"])
                                                      for g in csv.DictReader(r2.stdout.splitlines())))
                seen.update(mine)
            if n < 100:
                self.assertEqual(set(seen), {(s, p) for s, _, p in rows}, n)
                self.assertEqual(max(seen.values()), 1, n)
            if n == 16:  # balanced enough: 187.5 expected per shard
                sizes = collections.Counter(shard_of(s, p, n) for s, _, p in rows)
                self.assertLess(max(sizes.values()) - min(sizes.values()), 80, sizes)

    def test_shards_then_merge_csv_and_jsonl(self):
        m, rows = self.cohort(12)
        outs = []
        for k in range(3):
            out = os.path.join(self.dir, f"shard-{k}-of-3.jsonl")
            r = run("batch", m, "--shard", f"{k}/3", "-o", out, "--jobs", "2")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(f"[shard {k}/3]", r.stderr)
            outs.append(out)
        per_shard = [read_jsonl(o) for o in outs]
        self.assertEqual(sum(len(p) for p in per_shard), 12)
        for k, lines in enumerate(per_shard):
            self.assertTrue(all(shard_of(l["subject"], l["path"], 3) == k for l in lines))
        table = os.path.join(self.dir, "table.csv")
        r = run("batch-merge", "-o", table, "--manifest", m, *outs)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("12 recordings: 12 ok, 0 failed", r.stderr)
        self.assertIn("0 missing", r.stderr)
        with open(table, newline="", encoding="utf-8") as f:
            got = list(csv.DictReader(f))
        self.assertEqual([g["subject"] for g in got], sorted(s for s, _, _ in rows))
        header = list(got[0])
        self.assertEqual(header[:8], ["subject", "date", "path", "status", "duration_s", "wear_s", "start_time", "format"])
        for col in ("severity_motor", "severity_myoclonus", "severity_stance", "severity_gait",
                    "myoclonus_event_count", "myoclonus_index_per_min", "sway_rms_ap_mps2", "gait_cadence_spm",
                    "states_walking_s", "error_name", "klonos_version"):
            self.assertIn(col, header)
        reports = {l["subject"]: l["report"] for p in per_shard for l in p}
        for g in got:
            rep = reports[g["subject"]]
            self.assertEqual(float(g["duration_s"]), rep["recording"]["duration_s"])
            self.assertEqual(float(g["severity_motor"]), rep["severity"]["motor"])
            gait = rep["severity"]["gait"]
            if gait is None:
                self.assertEqual(g["severity_gait"], "")
            else:
                self.assertEqual(float(g["severity_gait"]), gait)
            self.assertEqual(int(g["myoclonus_event_count"]), rep["myoclonus"]["event_count"])
        # JSON Lines: the same lines, sorted by subject and path.
        merged = os.path.join(self.dir, "all.jsonl")
        self.assertEqual(run("batch-merge", "-q", "-o", merged, *outs).returncode, 0)
        key = lambda l: (l["subject"], l["path"])
        self.assertEqual(read_jsonl(merged), sorted((l for p in per_shard for l in p), key=key))
        # A missing shard is noticed with --manifest.
        r = run("batch-merge", "-o", table, "--manifest", m, outs[0], outs[2])
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{len(per_shard[1])} missing", r.stderr)
        self.assertIn("missing: subject " + per_shard[1][0]["subject"], r.stderr)

    # ---- merging ----

    def test_merge_keeps_the_latest_ok(self):
        m = os.path.join(self.dir, "m.csv")
        write_manifest(m, [("S1", "", "../rec/r0.flac"), ("S2", "", "nope.flac")])
        out = os.path.join(self.dir, "out.jsonl")
        run("batch", m, "-o", out)
        with open(out, encoding="utf-8") as f:
            lines = f.readlines()
        ok_line = next(l for l in lines if '"status":"ok"' in l)
        err_line = next(l for l in lines if '"status":"error"' in l)
        # X: error, then ok, then error again -> ok. Y: error twice -> the last.
        a = os.path.join(self.dir, "a.jsonl")
        b = os.path.join(self.dir, "b.jsonl")
        with open(a, "w", encoding="utf-8") as f:
            f.write(err_line.replace('"S2"', '"X"').replace('nope.flac', 'x.flac'))
            f.write(ok_line.replace('"S1"', '"X"').replace('../rec/r0.flac', 'x.flac'))
            f.write(err_line.replace('"S2"', '"Y"'))
        with open(b, "w", encoding="utf-8") as f:
            f.write(err_line.replace('"S2"', '"X"').replace('nope.flac', 'x.flac'))
            f.write(err_line.replace('"S2"', '"Y"').replace("No such file", "No such file!"))
        merged = os.path.join(self.dir, "m.jsonl")
        r = run("batch-merge", "-o", merged, a, b)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("2 recordings: 1 ok, 1 failed", r.stderr)
        got = read_jsonl(merged)
        self.assertEqual([(g["subject"], g["status"]) for g in got], [("X", "ok"), ("Y", "error")])
        self.assertIn("No such file!", got[1]["error"]["message"])
        table = os.path.join(self.dir, "t.csv")
        run("batch-merge", "-o", table, a, b)
        with open(table, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(rows[1]["status"], "error")
        self.assertEqual(rows[1]["duration_s"], "")
        self.assertTrue(rows[1]["error_name"].startswith("KLONOS_E_"))

    def test_merge_refuses_mixed_versions_or_options(self):
        m, _ = self.cohort(2)
        a = os.path.join(self.dir, "a.jsonl")
        b = os.path.join(self.dir, "b.jsonl")
        self.assertEqual(run("batch", m, "-o", a).returncode, 0)
        self.assertEqual(run("batch", m, "-o", b, "--score-epoch", "30").returncode, 0)
        table = os.path.join(self.dir, "t.csv")
        r = run("batch-merge", "-o", table, a, b)
        self.assertEqual(r.returncode, 2)
        self.assertIn("refusing to mix", r.stderr)
        self.assertIn('"score_epoch_s":30', r.stderr)
        self.assertFalse(os.path.exists(table))
        r = run("batch-merge", "-o", table, "--allow-mixed", a, b)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning", r.stderr)
        # Another version: the same refusal.
        c = os.path.join(self.dir, "c.jsonl")
        with open(a, encoding="utf-8") as f, open(c, "w", encoding="utf-8") as g:
            for line in f:
                g.write(line.replace('"klonos_version":"', '"klonos_version":"9', 1))
        self.assertEqual(run("batch-merge", "-o", table, a, c).returncode, 2)

    def test_merge_skips_torn_and_bad_lines(self):
        m, rows = self.cohort(3)
        out = os.path.join(self.dir, "out.jsonl")
        self.assertEqual(run("batch", m, "-o", out).returncode, 0)
        with open(out, "a", encoding="utf-8") as f:
            f.write('{"subject": "half a li')
        table = os.path.join(self.dir, "t.jsonl")
        r = run("batch-merge", "-o", table, out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("out.jsonl:4: incomplete last line skipped", r.stderr)
        self.assertEqual(len(read_jsonl(table)), 3)
        bad = os.path.join(self.dir, "bad.jsonl")
        with open(bad, "w", encoding="utf-8") as f:
            f.write('{"subject":"S"}\nnot json\n')
        r = run("batch-merge", "-o", table, out, bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad.jsonl:1: skipped: not a klonos batch result: no path", r.stderr)
        self.assertIn("bad.jsonl:2: skipped", r.stderr)
        self.assertEqual(len(read_jsonl(table)), 3)

    def test_gnu_parallel_recipe(self):
        """The one-machine recipe of tools/slurm/README.md, run as written there."""
        if not shutil.which("parallel"):
            self.skipTest("GNU parallel is not installed (Debian: apt-get install parallel)")
        readme = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "slurm", "README.md")
        with open(readme, encoding="utf-8") as f:
            section = f.read().split("## On one machine: GNU parallel", 1)[1]
        script = section.split("```sh\n", 1)[1].split("```", 1)[0]
        self.assertIn("parallel", script)
        m, rows = self.cohort(10)
        env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(CLI)) + os.pathsep + os.environ.get("PATH", ""))
        r = subprocess.run(["sh", "-ec", script], cwd=self.dir, env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len([n for n in os.listdir(self.dir) if n.startswith("out.")]), 8)
        with open(os.path.join(self.dir, "table.csv"), newline="", encoding="utf-8") as f:
            got = list(csv.DictReader(f))
        self.assertEqual(sorted((g["subject"], g["path"]) for g in got), sorted((s, p) for s, _, p in rows))
        self.assertTrue(all(g["status"] == "ok" for g in got))

if __name__ == "__main__":
    unittest.main()
