"""Analyses in parallel threads give the results of sequential runs
(ctypes releases the GIL during every C call; handles are never shared)."""

import threading
import unittest

import klonos

import test_support as S


class AnalysisThreadTest(S.TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.files = []
        for i, scenario in enumerate(("daily", "walking-jerks", "clusters", "tremor")):
            p = self.path("%s.wav" % scenario)
            klonos.synth(p, scenario=scenario, duration=900, seed=i + 1, rate=50)
            self.files.append(p)

    def run_threads(self, target, count):
        barrier = threading.Barrier(count)
        errors = []

        def wrapped(i):
            try:
                barrier.wait()
                target(i)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertFalse(any(t.is_alive() for t in threads))
        self.assertEqual(errors, [])

    def test_two_threads_two_files_match_sequential_runs(self):
        sequential = [klonos.analyze(p, events=True, calibrate=True).to_dict() for p in self.files[:2]]
        self.assertNotEqual(sequential[0], sequential[1])
        out = {}
        self.run_threads(lambda i: out.__setitem__(i, klonos.analyze(self.files[i], events=True,
                                                                     calibrate=True).to_dict()), 2)
        self.assertEqual([out[0], out[1]], sequential)

    def test_many_threads_files_samples_and_streams(self):
        expected = [klonos.analyze(p, bouts=True).to_dict() for p in self.files]
        frames = []
        for p in self.files:
            with klonos.open(p) as r:
                frames.append(r.read_all())
        out = {}

        def work(i):
            k = i % len(self.files)
            if i < 4:
                out[i] = klonos.analyze(self.files[k], bouts=True).to_dict()
            elif i < 8:
                out[i] = klonos.analyze(frames[k], rate=50, bouts=True).to_dict()
            else:
                with klonos.Analyzer(50) as a:
                    for j in range(0, len(frames[k]), 3 * 777):
                        a.push(frames[k][j:j + 3 * 777])
                    out[i] = a.finish(bouts=True).to_dict()

        self.run_threads(work, 12)
        for i in range(12):
            k = i % len(self.files)
            got = out[i]
            if i >= 4:  # samples: no file, format, reader counters
                want = dict(expected[k], file=None)
                want["recording"] = {key: (None if key in ("gap_count", "gap_total_s", "bad_blocks", "clipped_samples") else v)
                                     for key, v in expected[k]["recording"].items()}
                want["recording"]["format"] = None
            else:
                want = expected[k]
            self.assertEqual(got, want, "thread %d" % i)

    def test_one_analyzer_shared_by_threads_is_serialised(self):
        samples, _ = klonos.synth(scenario="stance", duration=600, truth=False)
        with klonos.Analyzer(100) as a:
            n = len(samples) // 3

            def push(i):
                a.push(samples[3 * (i * n // 4):3 * ((i + 1) * n // 4)])

            self.run_threads(push, 4)
            self.assertEqual(a.frames_pushed, n)
            r = a.finish()
        self.assertEqual(r.duration_s, 600)


if __name__ == "__main__":
    unittest.main()
