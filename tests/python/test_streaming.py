"""klonos.Analyzer: push in any chunks, finish, close; results do not depend on chunking."""

import array
import gc
import unittest
import warnings

import klonos

import test_support as S

np = S.numpy_or_none()


class StreamingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Walking and standing with jerks, 6 channels, 50 Hz (resampled to 100 Hz inside).
        cls.samples, _ = klonos.synth(scenario="walking-jerks", duration=150, seed=3, rate=50, channels=6)
        cls.whole = klonos.analyze(cls.samples, rate=50, channels=6, events=True, bouts=True).to_dict()

    def stream(self, chunk_frames, **finish):
        nch = 6
        with klonos.Analyzer(50, channels=nch) as a:
            step = chunk_frames * nch
            for i in range(0, len(self.samples), step):
                a.push(self.samples[i:i + step])
            self.assertEqual(a.frames_pushed, len(self.samples) // nch)
            return a.finish(**finish)

    def test_chunk_sizes_give_identical_reports(self):
        for chunk in (1, 7, 4096):
            with self.subTest(chunk_frames=chunk):
                self.assertEqual(self.stream(chunk, events=True, bouts=True).to_dict(), self.whole)

    def test_push_returns_frames_and_accepts_2d(self):
        with klonos.Analyzer(50, channels=6) as a:
            view = memoryview(self.samples).cast("B").cast("f", (len(self.samples) // 6, 6))
            self.assertEqual(a.push(view[:100]), 100)
            self.assertEqual(a.push(view[100:]), len(self.samples) // 6 - 100)
            self.assertEqual(a.push(array.array("f")), 0)
            self.assertEqual(a.finish(events=True, bouts=True).to_dict(), self.whole)
            with self.assertRaises(klonos.ChannelError):
                a.push(memoryview(self.samples).cast("B").cast("f", (len(self.samples) // 3, 3))[:10])

    def test_lifecycle(self):
        a = klonos.Analyzer(100)
        self.assertFalse(a.closed)
        self.assertFalse(a.finished)
        self.assertIn("open", repr(a))
        a.push(array.array("f", [0.0, 0.0, S.G] * 3000))
        r1 = a.finish()
        self.assertTrue(a.finished)
        with self.assertRaises(klonos.StateError) as cm:
            a.push(array.array("f", [0.0, 0.0, S.G]))
        self.assertIn("push after finish", cm.exception.message)
        # finish again, other report options: the same analysis
        r2 = a.finish(events=True, score_epoch=10)
        self.assertEqual(r2.scores, r1.scores)
        self.assertEqual(len(r2.to_dict()["epochs"]), 3)
        # while open, any epoch length
        self.assertEqual(len(r1.epochs(7)), 5)
        a.close()
        a.close()
        self.assertTrue(a.closed)
        self.assertEqual(r1.epochs(7)[0]["end_s"], 7.0)  # computed before close: kept
        with self.assertRaises(klonos.StateError):
            r1.epochs(11)
        with self.assertRaises(klonos.StateError):
            a.push(array.array("f", [0.0, 0.0, S.G]))
        with self.assertRaises(klonos.StateError):
            a.finish()
        with self.assertRaises(klonos.StateError):
            with a:
                pass

    def test_context_manager_closes_even_on_error(self):
        with self.assertRaises(klonos.SampleValueError):
            with klonos.Analyzer(100) as a:
                a.push(array.array("f", [0.0, 0.0, float("inf")]))
        self.assertTrue(a.closed)

    def test_a_failed_push_poisons_the_analyzer(self):
        with klonos.Analyzer(100) as a:
            with self.assertRaises(klonos.SampleValueError):
                a.push(array.array("f", [0.0, 0.0, 2e6]))
            with self.assertRaises(klonos.SampleValueError):
                a.push(array.array("f", [0.0, 0.0, S.G]))
            with self.assertRaises(klonos.SampleValueError):
                a.finish()

    def test_config(self):
        with klonos.Analyzer(100, placement="chest", axes=["V", "ML", "-AP"], epoch=4, nonwear_window=600,
                             analysis_rate=50) as a:
            self.assertEqual(a.config, {"analysis_rate_hz": 50.0, "epoch_s": 4.0, "nonwear_window_s": 600.0,
                                        "placement": "chest", "axes": "V,ML,-AP", "calibration": None})
            self.assertEqual((a.sample_rate_hz, a.channels), (100.0, 3))
            a.push(array.array("f", [0.0, 0.0, S.G] * 2000))
            params = a.finish().to_dict()["parameters"]
        self.assertEqual(params["placement"], "chest")
        self.assertEqual(params["axes"], "V,ML,-AP")
        self.assertEqual(params["epoch_s"], 4)
        with klonos.Analyzer(100) as a:
            self.assertEqual(a.config["placement"], "lower-back")
            self.assertIsNone(a.config["axes"])

    def test_open_errors(self):
        with self.assertRaises(klonos.RateError):
            klonos.Analyzer(5)
        with self.assertRaises(klonos.RateError):
            klonos.Analyzer(float("nan"))
        with self.assertRaises(klonos.InvalidArgumentError) as cm:
            klonos.Analyzer(100, axes="up,down,left")
        self.assertTrue(cm.exception.message.startswith("axes 'up,down,left'"), cm.exception.message)
        with self.assertRaises(klonos.ChannelError):
            klonos.Analyzer(100, channels=2)
        with self.assertRaises(klonos.InvalidArgumentError):
            klonos.Analyzer(100, analysis_rate=5)
        with self.assertRaises(klonos.InvalidArgumentError):
            klonos.Analyzer(100, calibration={"offset_g": [5, 0, 0], "scale": [1, 1, 1]})
        with self.assertRaises(klonos.InvalidArgumentError):
            klonos.Analyzer(100, calibration={"applied": False, "reason": "x"})
        with self.assertRaises(TypeError):
            klonos.Analyzer(100, channels="3")
        with self.assertRaises(TypeError):
            klonos.Analyzer(100, speed=3)
        with self.assertRaises(TypeError):
            klonos.Analyzer(100, epoch="2")

    def test_unclosed_analyzer_warns_and_frees(self):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            a = klonos.Analyzer(100)
            del a
            gc.collect()
        self.assertTrue(any(issubclass(w.category, ResourceWarning) for w in caught))

    @unittest.skipIf(np is None, "numpy is not installed")
    def test_numpy_chunks(self):
        a2 = np.frombuffer(self.samples, dtype=np.float32).reshape(-1, 6)
        with klonos.Analyzer(50, channels=6) as a:
            for i in range(0, a2.shape[0], 999):
                a.push(a2[i:i + 999].astype(np.float64))
            self.assertEqual(a.finish(events=True, bouts=True).to_dict(), self.whole)


if __name__ == "__main__":
    unittest.main()
