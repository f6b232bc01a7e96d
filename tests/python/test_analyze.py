"""klonos.analyze() and Result against `klonos analyze --format json`.

The report is written by the library for both, so to_dict() must equal the
CLI's JSON exactly for the same file and options (the pipeline around it:
reader, calibration pass, analyzer, context, is what is being tested).
"""

import array
import math
import os
import pickle
import shutil
import unittest

import klonos

import test_support as S


class FixtureMixin:
    """Recordings written once per class into a temporary directory."""

    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.dir = tempfile.mkdtemp(prefix="klonos-py-analyze-")
        cls.wav = os.path.join(cls.dir, "walk jerks.wav")  # a space: the path goes through as given
        klonos.synth(cls.wav, scenario="walking-jerks", duration=180, seed=7)
        cls.csv = os.path.join(cls.dir, "daily.csv")
        klonos.synth(cls.csv, scenario="daily", duration=900, seed=2, rate=50)
        cls.tremor = os.path.join(cls.dir, "tremor.flac")
        klonos.synth(cls.tremor, scenario="tremor", duration=240, seed=4, severity=0.9)
        cls.gyro = os.path.join(cls.dir, "gyro.wav")
        klonos.synth(cls.gyro, scenario="stance-jerks", duration=120, seed=5, channels=6, rotation="random")
        # Untimed CSV (x,y,z in g): needs rate=; a pose series the calibration can fit.
        cls.untimed = os.path.join(cls.dir, "poses.csv")
        frames = S.calibration_frames(rate_hz=50, seconds_per_pose=12)
        with open(cls.untimed, "w") as f:
            f.write("x,y,z\n")
            for i in range(0, len(frames), 3):
                f.write("%.6f,%.6f,%.6f\n" % (frames[i] / S.G, frames[i + 1] / S.G, frames[i + 2] / S.G))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, True)


@S.requires_cli
class CliEqualityTest(FixtureMixin, unittest.TestCase):
    CASES = [
        ("demo", {}),
        ("demo", {"events": True}),
        ("demo", {"calibrate": True, "score_epoch": 30}),
        ("demo", {"axes": "V,ML,-AP", "epoch": 4, "nonwear_window": 600}),
        ("demo", {"placement": "chest", "events": True, "score_epoch": 45.5}),
        ("wav", {"events": True}),
        ("wav", {"score_epoch": 20, "axes": "V,-ML,AP"}),
        ("csv", {}),
        ("csv", {"events": True, "calibrate": True, "score_epoch": 120}),
        ("tremor", {"events": True}),
        ("gyro", {"events": True, "calibrate": True}),
        ("untimed", {"rate": 50, "calibrate": True, "events": True}),
        ("untimed", {"rate": 50, "units": "g", "columns": "x,y,z", "max_gap": 2}),
    ]

    def source(self, name):
        return S.DEMO if name == "demo" else getattr(self, name)

    def test_to_dict_equals_the_cli_json(self):
        for name, options in self.CASES:
            path = self.source(name)
            with self.subTest(file=name, options=options):
                expected = S.cli_analyze(path, options)
                result = klonos.analyze(path, **options)
                self.assertEqual(result.to_dict(), expected)
                self.assertEqual(result.file, path)

    def test_events_sway_gait_commands(self):
        # `klonos events|sway|gait --format json`: the report with its events
        # (events) or per-bout arrays (sway, gait).
        if not S.cli_supports("sway", "--format"):
            self.skipTest("this CLI has no klonos sway yet")
        for path in (S.DEMO, self.csv):
            for options in ({}, {"calibrate": True, "axes": "V,ML,-AP"}):
                with self.subTest(file=os.path.basename(path), options=options):
                    self.assertEqual(klonos.analyze(path, events=True, **options).to_dict(),
                                     S.cli_json("events", path, options))
                    with_bouts = klonos.analyze(path, bouts=True, **options).to_dict()
                    self.assertEqual(with_bouts, S.cli_json("sway", path, options))
                    self.assertEqual(with_bouts, S.cli_json("gait", path, options))

    def test_file_key_is_the_path_as_given(self):
        # A relative path stays relative, in the CLI and here.
        rel = os.path.basename(self.wav)
        old = os.getcwd()
        os.chdir(self.dir)
        try:
            result = klonos.analyze(rel)
        finally:
            os.chdir(old)
        self.assertEqual(result.file, rel)
        self.assertEqual(result.to_dict()["file"], rel)
        self.assertEqual(result.to_dict(), S.cli_analyze(rel, cwd=self.dir))
        # os.PathLike goes through as its str
        import pathlib
        self.assertEqual(klonos.analyze(pathlib.Path(self.wav)).to_dict()["file"], self.wav)

    def test_calibration_is_applied_when_the_poses_allow_it(self):
        result = klonos.analyze(self.untimed, rate=50, calibrate=True)
        cal = result.calibration
        self.assertTrue(cal["applied"])
        for got, want in zip(cal["offset_g"], (0.02, -0.03, 0.01)):
            self.assertAlmostEqual(got, want, delta=2e-3)
        self.assertEqual(cal, result.to_dict()["calibration"])
        refused = klonos.analyze(S.DEMO, calibrate=True).calibration
        self.assertFalse(refused["applied"])
        self.assertIn("still", refused["reason"])

    def test_json_is_the_cli_text(self):
        code, out, _ = S.cli_run("analyze", "--format", "json", "--events", S.DEMO)
        self.assertEqual(code, 0)
        self.assertEqual(klonos.analyze(S.DEMO, events=True).json + "\n", out)


class ResultTest(FixtureMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.result = klonos.analyze(S.DEMO, events=True, bouts=True, score_epoch=30)
        cls.report = cls.result.to_dict()

    def test_attributes_match_the_report(self):
        r, d = self.result, self.report
        self.assertEqual(r.states, d["states"])
        self.assertEqual(set(r.scores), {"motor", "myoclonus", "stance", "gait", "function"})
        self.assertEqual(r.function, d["function"])
        self.assertEqual(r.falls, d["falls"])
        for key in r.scores:
            self.assertEqual(r.scores[key], d["severity"][key])
        self.assertEqual(r.components, d["severity"]["components"])
        self.assertEqual(r.duration_s, d["recording"]["duration_s"])
        self.assertEqual(r.wear_s, d["recording"]["wear_s"])
        self.assertEqual(r.recording, d["recording"])
        self.assertEqual(r.events, d["events"])
        self.assertEqual(r.clusters, d["clusters"])
        self.assertEqual(r.tremor, d["tremor"])
        self.assertEqual(r.sway, d["sway"])
        self.assertEqual(r.gait, d["gait"])
        self.assertEqual(r.calibration, None)
        self.assertEqual(r.score_epoch_s, 30.0)
        self.assertEqual(r.epochs(30), d["epochs"])
        self.assertEqual([{k: v for k, v in b.items() if k != "mean_cadence_spm"} for b in r.bouts], d["bouts"])
        self.assertEqual([{k: v for k, v in b.items() if k != "duration_s"} for b in r.sway_bouts], d["sway_bouts"])
        self.assertEqual([{k: v for k, v in b.items() if k not in ("duration_s", "strides")} for b in r.gait_bouts],
                         d["gait_bouts"])

    def test_content_is_plausible(self):
        r = self.result
        self.assertGreater(len(r.events), 5)
        self.assertTrue(r.sway_bouts and r.gait_bouts and r.bouts)
        for e in r.events:
            self.assertEqual(set(e), {"onset_s", "offset_s", "peak_acc_mps2", "peak_jerk_mps3", "direction", "state",
                                      "confidence", "cluster"})
            self.assertLess(e["onset_s"], e["offset_s"])
            self.assertAlmostEqual(math.sqrt(sum(c * c for c in e["direction"])), 1.0, places=6)
            self.assertTrue(0 <= e["confidence"] <= 1)
        walking = [b for b in r.bouts if b["state"] == "walking"]
        self.assertTrue(walking and all(b["mean_cadence_spm"] > 0 for b in walking))
        self.assertTrue(all(b["mean_cadence_spm"] is None for b in r.bouts if b["state"] != "walking"))
        self.assertAlmostEqual(sum(r.states.values()), r.duration_s, places=6)
        for b in r.gait_bouts:
            self.assertGreater(b["strides"], 0)
            self.assertAlmostEqual(b["duration_s"], b["end_s"] - b["start_s"], places=6)

    def test_report_arrays_are_optional_but_attributes_are_not(self):
        plain = klonos.analyze(S.DEMO)
        d = plain.to_dict()
        for key in ("events", "clusters", "tremor", "bouts", "sway_bouts", "gait_bouts"):
            self.assertNotIn(key, d)
        self.assertEqual(plain.events, self.result.events)
        self.assertEqual(plain.gait_bouts, self.result.gait_bouts)

    def test_epochs(self):
        r = self.result
        sixty = r.epochs()
        self.assertEqual(sixty, r.epochs(60))
        self.assertEqual(len(sixty), math.ceil(r.duration_s / 60))
        self.assertEqual(sixty[0]["start_s"], 0.0)
        self.assertEqual(sixty[-1]["end_s"], r.duration_s)
        self.assertEqual(sum(e["events"] for e in sixty), len(r.events))
        # analyze() closed its analyzer: other lengths need score_epoch=
        with self.assertRaises(klonos.StateError) as cm:
            r.epochs(17)
        self.assertIn("score_epoch=17", cm.exception.message)
        with self.assertRaises(klonos.InvalidArgumentError):
            r.epochs(0.5)
        # a copy each time
        sixty[0]["events"] = -1
        self.assertNotEqual(r.epochs()[0]["events"], -1)

    def test_to_dict_is_a_fresh_copy(self):
        d = self.result.to_dict()
        d["states"]["lying_s"] = -1
        self.assertEqual(self.result.to_dict(), self.report)

    def test_pickle(self):
        copy = pickle.loads(pickle.dumps(self.result))
        self.assertEqual(copy.to_dict(), self.report)
        self.assertEqual(copy.events, self.result.events)
        self.assertEqual(copy.epochs(30), self.result.epochs(30))
        self.assertIn("demo.flac", repr(copy))

    def test_results_cannot_be_made_directly(self):
        with self.assertRaises(TypeError):
            klonos.Result()

    def test_convenience_functions(self):
        self.assertEqual(klonos.events(S.DEMO), self.result.events)
        self.assertEqual(klonos.sway(S.DEMO), (self.result.sway, self.result.sway_bouts))
        self.assertEqual(klonos.gait(S.DEMO), (self.result.gait, self.result.gait_bouts))
        summary, bouts = klonos.gait(self.tremor)  # standing only
        self.assertIsNone(summary)
        self.assertEqual(bouts, [])
        self.assertEqual(klonos.events(self.wav, axes="V,ML,-AP"), klonos.analyze(self.wav, axes="V,ML,-AP").events)

    def test_tremor_and_six_channels(self):
        t = klonos.analyze(self.tremor)
        self.assertGreater(len(t.tremor), 0)
        for ep in t.tremor:
            self.assertTrue(3 < ep["freq_hz"] < 12)
        g = klonos.analyze(self.gyro)
        self.assertEqual(g.recording["channels"], 6)


class SamplesTest(FixtureMixin, unittest.TestCase):
    """analyze(samples) == analyze(file) for the same frames, but for what
    only a file has: the path, the format and the reader's counters."""

    FILE_ONLY_RECORDING_KEYS = ("format", "gap_count", "gap_total_s", "bad_blocks", "clipped_samples")

    def strip(self, d):
        d = dict(d, file=None)
        d["recording"] = {k: v for k, v in d["recording"].items() if k not in self.FILE_ONLY_RECORDING_KEYS}
        return d

    def test_samples_give_the_file_results(self):
        for path, options in ((S.DEMO, {"events": True}), (self.wav, {"score_epoch": 20}),
                              (self.gyro, {"events": True, "axes": "V,ML,-AP"})):
            with self.subTest(path=os.path.basename(path)):
                with klonos.open(path) as r:
                    frames = r.read_all()
                    rate, nch = r.sample_rate_hz, r.channel_count
                from_file = klonos.analyze(path, **options)
                from_samples = klonos.analyze(frames, rate=rate, channels=nch, **options)
                self.assertEqual(from_samples.scores, from_file.scores)
                self.assertEqual(from_samples.events, from_file.events)
                d = from_samples.to_dict()
                self.assertIsNone(d["file"])
                self.assertIsNone(d["recording"]["format"])
                self.assertIsNone(from_samples.file)
                for key in self.FILE_ONLY_RECORDING_KEYS[1:]:
                    self.assertIsNone(d["recording"][key])  # same schema, unknown without a reader
                self.assertEqual(self.strip(d), self.strip(from_file.to_dict()))

    def test_calibrate_samples(self):
        frames = S.calibration_frames()
        result = klonos.analyze(frames, rate=50, calibrate=True)
        self.assertTrue(result.calibration["applied"])
        direct = klonos.calibrate(frames, rate=50)
        self.assertEqual(result.calibration["offset_g"], direct["offset_g"])
        self.assertEqual(result.calibration["scale"], direct["scale"])

    def test_samples_need_a_rate_and_no_reader_options(self):
        frames = array.array("f", [0.0, 0.0, S.G] * 1000)
        with self.assertRaises(TypeError):
            klonos.analyze(frames)
        with self.assertRaises(TypeError):
            klonos.analyze(frames, rate=100, units="g")
        with self.assertRaises(TypeError):
            klonos.analyze(S.DEMO, channels=3)


class CalibrateTest(FixtureMixin, unittest.TestCase):
    def test_calibrate_a_file(self):
        cal = klonos.calibrate(self.untimed, rate=50)
        self.assertEqual(set(cal), {"offset_g", "scale", "error_before_mg", "error_after_mg", "still_windows",
                                    "iterations"})
        for got, want in zip(cal["offset_g"], (0.02, -0.03, 0.01)):
            self.assertAlmostEqual(got, want, delta=2e-3)
        for got, want in zip(cal["scale"], (1.01, 0.98, 1.02)):
            self.assertAlmostEqual(got, want, delta=2e-3)
        self.assertLess(cal["error_after_mg"], cal["error_before_mg"])
        self.assertGreaterEqual(cal["still_windows"], 10)

    def test_refusal_raises_no_data_with_the_reason(self):
        with self.assertRaises(klonos.NoDataError) as cm:
            klonos.calibrate(S.DEMO)
        self.assertEqual(cm.exception.code, klonos.Status.E_NODATA)
        self.assertEqual(cm.exception.message, klonos.analyze(S.DEMO, calibrate=True).calibration["reason"])
        self.assertEqual(cm.exception.path, S.DEMO)

    def test_a_calibration_feeds_an_analyzer(self):
        frames = S.calibration_frames()
        cal = klonos.calibrate(frames, rate=50)
        with klonos.Analyzer(50, calibration=cal) as a:
            a.push(frames)
            streamed = a.finish()
        self.assertEqual(streamed.to_dict(), klonos.analyze(frames, rate=50, calibrate=True).to_dict())
        self.assertEqual(a.config["calibration"], {"offset_g": cal["offset_g"], "scale": cal["scale"]})


class ErrorTest(FixtureMixin, unittest.TestCase):
    def test_reader_errors(self):
        missing = os.path.join(self.dir, "missing.wav")
        with self.assertRaises(klonos.FileError) as cm:
            klonos.analyze(missing)
        self.assertEqual(cm.exception.path, missing)
        self.assertIn(missing, cm.exception.message)
        with self.assertRaises(klonos.RateError):
            klonos.analyze(self.untimed)  # no time column and no rate
        with self.assertRaises(TypeError):
            klonos.analyze(S.DEMO, colour="red")

    def test_analyzer_errors_carry_the_library_message(self):
        with self.assertRaises(klonos.InvalidArgumentError) as cm:
            klonos.analyze(S.DEMO, axes="V,V,V")
        self.assertEqual(cm.exception.code, klonos.Status.E_INVAL)
        self.assertTrue(cm.exception.message.startswith(S.DEMO + ": axes 'V,V,V'"), cm.exception.message)
        self.assertIsInstance(cm.exception, ValueError)
        with self.assertRaises(klonos.InvalidArgumentError) as cm:
            klonos.analyze(S.DEMO, placement="forehead")
        self.assertIn("placement 'forehead'", cm.exception.message)
        with self.assertRaises(klonos.InvalidArgumentError) as cm:
            klonos.analyze(S.DEMO, epoch=90)
        self.assertIn("epoch_s 90", cm.exception.message)
        with self.assertRaises(klonos.InvalidArgumentError):
            klonos.analyze(S.DEMO, axes="V," * 20)  # longer than the C field

    @S.requires_cli
    def test_error_messages_equal_the_cli(self):
        for path, options in ((S.DEMO, {"axes": "V,V,V"}), (S.DEMO, {"nonwear_window": 1}),
                              (os.path.join(self.dir, "missing.wav"), {})):
            with self.subTest(options=options):
                expected = S.cli_analyze(path, options)["error"]
                with self.assertRaises(klonos.Error) as cm:
                    klonos.analyze(path, **options)
                self.assertEqual((cm.exception.code, cm.exception.name, cm.exception.message),
                                 (expected["code"], expected["name"], expected["message"]))

    def test_sample_errors(self):
        frames = array.array("f", [0.0, 0.0, S.G] * 1000)
        with self.assertRaises(klonos.RateError) as cm:
            klonos.analyze(frames, rate=5)
        self.assertIn("5 Hz", cm.exception.message)
        with self.assertRaises(klonos.RateError):
            klonos.analyze(frames, rate=0)
        with self.assertRaises(klonos.InvalidArgumentError) as cm:
            klonos.analyze(frames, rate=100, score_epoch=0.5)
        bad = array.array("f", frames)
        bad[1000] = float("inf")
        with self.assertRaises(klonos.SampleValueError) as cm:
            klonos.analyze(bad, rate=100)
        self.assertIn("inf", cm.exception.message)
        with self.assertRaises(klonos.ChannelError):
            klonos.analyze(frames[:-1], rate=100)
        with self.assertRaises(klonos.ChannelError) as cm:
            klonos.analyze(array.array("f", [0.0] * 400), rate=100, channels=4)
        self.assertIn("channel_count 4", cm.exception.message)

    def test_nan_frames_are_gaps(self):
        frames = array.array("f", [0.0, 0.0, S.G] * 6000)
        for i in range(3000 * 3, 3500 * 3):
            frames[i] = float("nan")
        r = klonos.analyze(frames, rate=100)
        self.assertGreater(r.states["missing_s"], 0)


if __name__ == "__main__":
    unittest.main()
