"""klonos.synth(): files byte-identical to `klonos synth`, in-memory frames and truth."""

import json
import math
import os
import unittest

import klonos

import test_support as S

np = S.numpy_or_none()


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class SynthFileTest(S.TempDirTestCase):
    CASES = [
        ("a.wav", {}, []),
        ("b.flac", {"scenario": "daily", "duration": "20m", "seed": 99, "severity": 0.8},
         ["--scenario", "daily", "--duration", "20m", "--seed", "99", "--severity", "0.8"]),
        ("c.csv", {"scenario": "walking-jerks", "duration": 90, "rate": 50, "rotation": (10, -20, 30)},
         ["--scenario", "walking-jerks", "--duration", "90", "--rate", "50", "--rotation", "10,-20,30"]),
        ("d.wav", {"scenario": "clusters", "channels": 6, "rotation": "random", "full_scale": 4, "seed": 2 ** 63 + 5},
         ["--scenario", "clusters", "--channels", "6", "--rotation", "random", "--full-scale", "4",
          "--seed", str(2 ** 63 + 5)]),
        ("e.wav", {"scenario": "tremor", "sample_format": "int16", "truth": False},
         ["--scenario", "tremor", "--sample-format", "int16", "--no-truth"]),
        ("f.w64", {"scenario": "nonwear", "duration": 30}, ["--scenario", "nonwear", "--duration", "30"]),
    ]

    @S.requires_cli
    def test_files_equal_the_cli_byte_for_byte(self):
        for name, kwargs, flags in self.CASES:
            with self.subTest(file=name):
                mine, theirs = self.path("py-" + name), self.path("cli-" + name)
                info = klonos.synth(mine, **kwargs)
                code, _, err = S.cli_run("synth", "-q", "-o", theirs, *flags)
                self.assertEqual(code, 0, err)
                self.assertEqual(read_bytes(mine), read_bytes(theirs))
                truth = kwargs.get("truth", True)
                self.assertEqual(os.path.exists(mine + ".truth.json"), truth)
                if truth:
                    self.assertEqual(read_bytes(mine + ".truth.json"), read_bytes(theirs + ".truth.json"))
                    doc = json.loads(read_bytes(mine + ".truth.json"))
                    self.assertEqual(info["truth_items"], len(doc["items"]))
                    summary = doc["summary"]
                    for key in ("frames", "clipped_samples", "bouts", "steps", "jerks", "clusters", "tremors"):
                        self.assertEqual(info[key], summary[key], key)
                    self.assertEqual(info["truth_path"], mine + ".truth.json")
                else:
                    self.assertIsNone(info["truth_path"])
                self.assertEqual(info["path"], mine)

    def test_in_memory_truth_equals_the_file_items(self):
        for kwargs in ({"scenario": "daily", "duration": 1800, "seed": 4},
                       {"scenario": "walking-jerks", "duration": 120, "channels": 6, "rotation": "random"},
                       {"scenario": "tremor", "duration": 200, "severity": 1.0},
                       {"scenario": "clusters", "duration": 600, "rate": 200},
                       {"scenario": "falls", "duration": 3600, "seed": 3}):
            if kwargs["scenario"] not in klonos.synth_scenarios():
                continue  # a scenario this library does not have yet
            with self.subTest(**kwargs):
                path = self.path("x.wav")
                klonos.synth(path, **kwargs)
                with open(path + ".truth.json") as f:
                    items = json.load(f)["items"]
                samples, truth = klonos.synth(**kwargs)
                self.assertEqual(truth, items)
                kinds = {i["kind"] for i in truth}
                self.assertIn("bout", kinds)
                # the float WAV holds g as float32: the reader gives back ~the same m/s^2
                with klonos.open(path) as r:
                    back = r.read_all()
                self.assertEqual(len(back), len(samples))
                worst = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(back[::97], samples[::97]))
                self.assertLess(worst, 1e-6)

    def test_explicit_truth_path(self):
        info = klonos.synth(self.path("r.csv"), duration=10, truth=self.path("truth.json"))
        self.assertEqual(info["truth_path"], self.path("truth.json"))
        self.assertTrue(os.path.exists(self.path("truth.json")))
        self.assertFalse(os.path.exists(self.path("r.csv.truth.json")))

    def test_file_errors(self):
        with self.assertRaises(klonos.FormatError) as cm:
            klonos.synth(self.path("x.mp3"))
        self.assertIn(".mp3", cm.exception.message)
        with self.assertRaises(klonos.ChannelError):
            klonos.synth(self.path("x.flac"), channels=6)
        with self.assertRaises(klonos.FileError):
            klonos.synth(os.path.join(self.tmp, "no", "such", "dir.wav"))
        self.assertEqual(os.listdir(self.tmp), [])  # nothing left behind
        with self.assertRaises(klonos.InvalidArgumentError):
            klonos.synth(self.path("x.wav"), sample_format="double")
        with self.assertRaises(TypeError):
            klonos.synth(self.path("x.wav"), numpy=True)


class SynthMemoryTest(unittest.TestCase):
    def test_samples_layout_and_units(self):
        samples, truth = klonos.synth(duration=10, rate=100)
        self.assertEqual(samples.typecode, "f")
        self.assertEqual(len(samples), 1000 * 3)
        mean_x = sum(samples[0::3]) / 1000  # sensor x = V: gravity reads +g
        self.assertAlmostEqual(mean_x, S.G, delta=0.3)
        self.assertEqual([t["kind"] for t in truth], ["bout"])
        self.assertEqual(truth[0]["state"], "standing")

    def test_deterministic_and_seeded(self):
        a, ta = klonos.synth(scenario="stance-jerks", duration=60, seed=5)
        b, tb = klonos.synth(scenario="stance-jerks", duration=60, seed=5)
        c, _ = klonos.synth(scenario="stance-jerks", duration=60, seed=6)
        self.assertEqual(a, b)
        self.assertEqual(ta, tb)
        self.assertNotEqual(a, c)
        only, none = klonos.synth(scenario="stance-jerks", duration=60, seed=5, truth=False)
        self.assertEqual(only, a)
        self.assertIsNone(none)

    def test_jerks_are_found(self):
        samples, truth = klonos.synth(scenario="stance-jerks", duration=300, seed=8, severity=0.8)
        jerks = [t for t in truth if t["kind"] == "jerk"]
        self.assertGreater(len(jerks), 3)
        found = klonos.events(samples, rate=100)
        hits = sum(any(abs(e["onset_s"] - j["onset_s"]) < 0.2 for e in found) for j in jerks)
        self.assertGreaterEqual(hits, len(jerks) * 0.7)
        for j in jerks:
            self.assertEqual(set(j), {"kind", "id", "onset_s", "offset_s", "peak_s", "peak_acc_mps2",
                                      "sampled_peak_mps2", "direction", "shape", "cluster_id", "state"})
            self.assertAlmostEqual(math.sqrt(sum(c * c for c in j["direction"])), 1.0, places=9)

    def test_params(self):
        derived = klonos.synth_params(scenario="stance-jerks", severity=0.5)
        self.assertIn("jerk_rate_per_min", derived)
        self.assertEqual(len(derived["acc_offset_mps2"]), 3)
        self.assertNotIn("reserved", derived)
        _, truth = klonos.synth(scenario="stance-jerks", duration=120, params={"jerk_rate_per_min": 0.0})
        self.assertEqual([t for t in truth if t["kind"] == "jerk"], [])
        same, _ = klonos.synth(scenario="stance-jerks", duration=120, params=derived)
        self.assertEqual(same, klonos.synth(scenario="stance-jerks", duration=120)[0])
        with self.assertRaises(klonos.InvalidArgumentError):
            klonos.synth(params={"warp_factor": 9})
        with self.assertRaises(klonos.InvalidArgumentError) as cm:
            klonos.synth(params={"cluster_size_min": 9, "cluster_size_max": 2})
        self.assertIn("cluster size", cm.exception.message)

    def test_scenarios(self):
        names = klonos.synth_scenarios()
        self.assertEqual(list(names)[:2], ["stance", "stance-jerks"])
        self.assertIn("daily", names)
        self.assertTrue(all(names.values()))
        code, out, _ = S.cli_run("synth", "--list-scenarios") if S.CLI else (0, "", "")
        for name in names if S.CLI else ():
            self.assertIn(name, out)

    def test_argument_errors(self):
        cases = [
            ({"scenario": "marathon"}, klonos.InvalidArgumentError, "marathon"),
            ({"rate": 10}, klonos.RateError, "10 Hz"),
            ({"channels": 4}, klonos.ChannelError, None),
            ({"severity": 2}, klonos.InvalidArgumentError, "severity"),
            ({"duration": -1}, klonos.InvalidArgumentError, "duration"),
            ({"duration": "3 fortnights"}, klonos.InvalidArgumentError, "duration"),
            ({"seed": -1}, klonos.InvalidArgumentError, "seed"),
            ({"seed": 2 ** 64}, klonos.InvalidArgumentError, "seed"),
            ({"rotation": "sideways"}, klonos.InvalidArgumentError, "rotation"),
            ({"rotation": (1, 2)}, klonos.InvalidArgumentError, "rotation"),
            ({"sample_format": "float"}, TypeError, None),
        ]
        for kwargs, exc, text in cases:
            with self.subTest(**{k: repr(v) for k, v in kwargs.items()}):
                with self.assertRaises(exc) as cm:
                    klonos.synth(**kwargs)
                if text:
                    self.assertIn(text, str(cm.exception))

    def test_duration_units(self):
        self.assertEqual(len(klonos.synth(duration="1m", truth=False)[0]), 6000 * 3)
        self.assertEqual(len(klonos.synth(duration="0.5min", rate=50, truth=False)[0]), 1500 * 3)

    @unittest.skipIf(np is None, "numpy is not installed")
    def test_numpy(self):
        a, truth = klonos.synth(scenario="walking", duration=30, channels=6, numpy=True)
        self.assertEqual(a.shape, (3000, 6))
        self.assertEqual(a.dtype, np.float32)
        flat, truth2 = klonos.synth(scenario="walking", duration=30, channels=6)
        self.assertEqual(a.reshape(-1).tobytes(), flat.tobytes())
        self.assertEqual(truth, truth2)


if __name__ == "__main__":
    unittest.main()
