"""The klonos command line as a person uses it: exit codes, messages that
name the file, JSON that parses, and output failures that are reported.

Environment (set by meson): KLONOS_CLI (the built executable),
KLONOS_TEST_TMP (scratch folder), KLONOS_REAL_DATA (optional)."""
import json
import os
import struct
import subprocess
import tempfile
import unittest
import wave

CLI = os.environ.get("KLONOS_CLI", "klonos")
G = 9.80665


def run(*args, **kw):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120, **kw)


def write_wav(path, frames=200, rate=100, channels=3, value=4096):
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack("<h", value) * channels * frames)


class Cli(unittest.TestCase):
    def setUp(self):
        base = os.environ.get("KLONOS_TEST_TMP") or None
        if base:
            os.makedirs(base, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="cli-", dir=base)
        self.wav = os.path.join(self.dir, "ok.wav")
        write_wav(self.wav)

    def test_version_and_help(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^klonos \d+\.\d+\.\d+\n$")
        for args in (["--help"], ["info", "--help"]):
            r = run(*args)
            self.assertEqual(r.returncode, 0, args)
            self.assertIn("Usage: klonos", r.stdout)
        self.assertIn("--columns", run("info", "--help").stdout)

    def test_usage_errors_exit_2(self):
        for args in ([], ["frobnicate"], ["info"], ["info", "--rate", "abc", self.wav],
                     ["info", "--units", "furlongs", self.wav], ["info", "--bogus", self.wav],
                     ["info", "--rate"]):
            r = run(*args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertTrue(r.stderr.strip(), args)

    def test_info_text(self):
        r = run("info", self.wav)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("sample rate   100 Hz", r.stdout)
        self.assertIn("frames        200", r.stdout)
        self.assertIn("duration      2.000 s", r.stdout)
        self.assertIn("full scale    +-8 g", r.stdout)

    def test_info_json(self):
        r = run("info", "--json", self.wav)
        self.assertEqual(r.returncode, 0, r.stderr)
        d = json.loads(r.stdout)
        self.assertEqual(d["file"], self.wav)
        self.assertTrue(d["ok"])
        self.assertEqual(d["frames"], 200)
        self.assertEqual(d["sample_rate_hz"], 100)
        self.assertEqual(d["channels"], ["acc_x", "acc_y", "acc_z"])
        self.assertEqual(d["clipped"], {"acc_x": 0, "acc_y": 0, "acc_z": 0})
        self.assertIsNone(d["start_time"])
        self.assertAlmostEqual(d["duration_s"], 2.0)

    def test_one_bad_file_does_not_stop_the_others(self):
        missing = os.path.join(self.dir, "missing.wav")
        empty = os.path.join(self.dir, "empty.csv")
        open(empty, "w").close()
        r = run("info", "--json", missing, self.wav, empty)
        self.assertEqual(r.returncode, 1)
        lines = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual([l["ok"] for l in lines], [False, True, False])
        self.assertEqual(lines[0]["error"]["name"], "KLONOS_E_IO")
        self.assertEqual(lines[2]["error"]["name"], "KLONOS_E_EMPTY")
        self.assertIn(missing, r.stderr)
        self.assertIn(empty, r.stderr)
        self.assertIn("No such file", r.stderr)

    def test_wrong_channel_count_message(self):
        mono = os.path.join(self.dir, "mono.wav")
        write_wav(mono, channels=1)
        r = run("info", mono)
        self.assertEqual(r.returncode, 1)
        self.assertIn(mono, r.stderr)
        self.assertIn("1 channel", r.stderr)

    def test_clipping_is_reported(self):
        clip = os.path.join(self.dir, "clip.wav")
        write_wav(clip, value=32767, frames=10)
        d = json.loads(run("info", "--json", clip).stdout)
        self.assertEqual(d["clipped"], {"acc_x": 10, "acc_y": 10, "acc_z": 10})

    def test_full_disk_is_an_error(self):
        if not os.path.exists("/dev/full"):
            self.skipTest("/dev/full absent")
        with open("/dev/full", "w") as full:
            r = subprocess.run([CLI, "info", self.wav], stdout=full, stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 3)
        self.assertIn("cannot write output", r.stderr)

    def test_closed_stdout_is_an_error_not_a_signal(self):
        files = [self.wav] * 400  # far more output than a pipe buffer holds
        p = subprocess.Popen([CLI, "info", *files], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdout.readline()
        p.stdout.close()
        err = p.stderr.read().decode()
        self.assertEqual(p.wait(timeout=60), 3, err)
        self.assertIn("cannot write output", err)

    def test_input_is_never_modified(self):
        before = open(self.wav, "rb").read()
        st = os.stat(self.wav)
        run("info", "--json", self.wav)
        self.assertEqual(open(self.wav, "rb").read(), before)
        self.assertEqual(os.stat(self.wav).st_mtime_ns, st.st_mtime_ns)


class Function(unittest.TestCase):
    """Daily-life function: falls in a toddler-like recording; not applicable without upright time."""

    def test_falls_are_counted_and_lying_infant_is_not_applicable(self):
        base = os.environ.get("KLONOS_TEST_TMP") or None
        d = tempfile.mkdtemp(prefix="function-", dir=base)
        falls = os.path.join(d, "falls.wav")
        r = run("synth", "--scenario", "falls", "--duration", "30m", "--seed", "4", "-q", "-o", falls)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(falls + ".truth.json") as f:
            truth = [i for i in json.load(f)["items"] if i["kind"] == "fall"]
        rep = json.loads(run("analyze", "--format", "json", "--axes", "V,AP,ML", "--events", falls).stdout)
        found = [x for x in rep["falls"] if x["kind"] == "fall"]
        hits = sum(any(abs(x["impact_s"] - t.get("impact_s", t.get("start_s", 0))) <= 1.5 for x in found) for t in truth)
        self.assertGreaterEqual(hits, 0.8 * len(truth), f"{hits}/{len(truth)} falls found")
        self.assertIsNotNone(rep["function"]["falls_per_upright_h"])
        lying = os.path.join(d, "lying.wav")
        # a device on its side the whole time: no upright time at all
        r = run("synth", "--scenario", "nonwear", "--duration", "20m", "-q", "--no-truth", "-o", lying)
        rep = json.loads(run("analyze", "--format", "json", "--nonwear-window", "36000", lying).stdout)
        self.assertIsNone(rep["function"]["falls_per_upright_h"])
        self.assertIn("not applicable", rep["function"]["reason"])
        self.assertIsNone(rep["function"]["score"])


class Analysis(unittest.TestCase):
    """analyze / events / sway / gait / states on synthetic recordings with truth."""

    @classmethod
    def setUpClass(cls):
        base = os.environ.get("KLONOS_TEST_TMP") or None
        if base:
            os.makedirs(base, exist_ok=True)
        cls.dir = tempfile.mkdtemp(prefix="analysis-", dir=base)
        cls.jerks = os.path.join(cls.dir, "jerks.wav")
        cls.walk = os.path.join(cls.dir, "walk.flac")
        for path, scenario in ((cls.jerks, "stance-jerks"), (cls.walk, "walking")):
            r = run("synth", "--scenario", scenario, "--duration", "180", "--seed", "3", "-q", "-o", path)
            assert r.returncode == 0, r.stderr
        with open(cls.jerks + ".truth.json") as f:
            cls.truth = [i for i in json.load(f)["items"] if i["kind"] == "jerk"]

    def test_events_csv_contract(self):
        r = run("events", "--format", "csv", self.jerks)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("onset_s,offset_s,peak_acc_mps2,peak_jerk_mps3"))
        onsets = [float(l.split(",")[0]) for l in lines[1:]]
        truth = [i["onset_s"] for i in self.truth]
        found = sum(any(abs(o - t) <= 0.1 for o in onsets) for t in truth)
        self.assertGreaterEqual(found / len(truth), 0.9, f"{found}/{len(truth)} true jerks found")
        self.assertLessEqual(len(onsets), len(truth) + 2)

    def test_events_json_has_events_and_tremor(self):
        d = json.loads(run("events", "--format", "json", self.jerks).stdout)
        self.assertIn("events", d)
        self.assertIn("tremor", d)
        self.assertTrue(all({"onset_s", "offset_s", "peak_acc_mps2", "peak_jerk_mps3"} <= set(e) for e in d["events"]))

    def test_analyze_json_keys(self):
        r = run("analyze", "--format", "json", self.walk)
        self.assertEqual(r.returncode, 0, r.stderr)
        d = json.loads(r.stdout)
        for key in ("klonos_version", "file", "recording", "states", "myoclonus", "sway", "gait", "severity", "epochs"):
            self.assertIn(key, d)
        for key in ("sample_rate_hz", "duration_s", "start_time", "wear_s"):
            self.assertIn(key, d["recording"])
        for key in ("lying_s", "upright_still_s", "walking_s", "other_s", "nonwear_s"):
            self.assertIn(key, d["states"])
        for key in ("event_count", "events_per_min", "amp_median_mps2", "cluster_count", "score"):
            self.assertIn(key, d["myoclonus"])
        for key in ("cadence_spm", "step_regularity", "stride_regularity", "harmonic_ratio_ap", "stride_time_cv", "score"):
            self.assertIn(key, d["gait"])
        for key in ("motor", "myoclonus", "stance", "gait", "function"):
            self.assertIn(key, d["severity"])
        for key in ("falls", "falls_per_upright_h", "upright_pct", "walking_pct", "walking_bouts", "longest_bout_s", "sit_to_stand"):
            self.assertIn(key, d["function"])
        self.assertGreater(d["states"]["walking_s"], 60)
        self.assertTrue(0 <= d["severity"]["motor"] <= 100)
        self.assertEqual(len(d["epochs"]), 3)

    def test_analyze_parallel_jobs_keep_input_order(self):
        files = [self.walk, self.jerks, self.walk]
        one = run("analyze", "--format", "json", "--jobs", "1", *files)
        many = run("analyze", "--format", "json", "--jobs", "3", *files)
        self.assertEqual(one.returncode, 0)
        self.assertEqual(one.stdout, many.stdout)
        self.assertEqual([json.loads(l)["file"] for l in many.stdout.splitlines()], files)

    def test_analyze_csv_epochs(self):
        r = run("analyze", "--format", "csv", "--score-epoch", "30", self.walk)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "file,start_s,end_s,wear_s,upright_still_s,walking_s,lying_s,events,myoclonus,stance,gait,motor,falls")
        self.assertEqual(len(lines), 1 + 6)

    def test_sway_and_gait_tables(self):
        r = run("gait", self.walk)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("cadence_spm", r.stdout)
        r = run("sway", "--format", "csv", self.jerks)
        self.assertTrue(r.stdout.startswith("file,row,start_s,end_s,rms_ap_mps2"))
        self.assertIn(",summary,", r.stdout)

    def test_bad_file_in_analyze(self):
        missing = os.path.join(self.dir, "nope.wav")
        r = run("analyze", "--format", "json", missing, self.walk)
        self.assertEqual(r.returncode, 1)
        lines = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual(lines[0]["error"]["name"], "KLONOS_E_IO")
        self.assertIn("severity", lines[1])
        self.assertIn(missing, r.stderr)


if __name__ == "__main__":
    unittest.main()
