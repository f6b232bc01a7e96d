"""No leaks in the analysis API: 1,000 Analyzer open/close cycles (some
failing, some finished with a Result) and 200 analyze() calls (files and
samples, some failing) must not grow the resident set beyond a small bound.

A finished C analyzer holds about 5 MiB of working buffers, so one leaked
handle per cycle would cost gigabytes; a leaked report buffer (tens of KiB)
or Result would still add megabytes over the loops.
"""

import array
import os
import sys
import time
import unittest

import klonos

import test_support as S

ANALYZER_CYCLES = 1000
ANALYZE_CALLS = 200
RSS_BOUND_BYTES = 4 << 20  # 4 MiB


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@unittest.skipUnless(os.path.exists("/proc/self/statm"), "needs /proc/self/statm")
class AnalysisLeakTest(S.TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.wav = self.path("jerks.wav")
        klonos.synth(self.wav, scenario="stance-jerks", duration=120, seed=3)
        self.samples, _ = klonos.synth(scenario="walking-jerks", duration=60, seed=4, truth=False)
        self.small = array.array("f", [0.0, 0.0, S.G] * 500)
        self.bad = array.array("f", [0.0, 0.0, float("inf")] * 10)

    def analyzer_cycle(self, i):
        kind = i % 4
        if kind == 0:
            with klonos.Analyzer(100) as a:
                pass
        elif kind == 1:
            with klonos.Analyzer(50, axes="V,ML,-AP") as a:
                a.push(self.small)
                r = a.finish(events=True)
                r.epochs(7)
        elif kind == 2:
            try:
                klonos.Analyzer(100, axes="nonsense")
            except klonos.InvalidArgumentError:
                pass
        else:
            a = klonos.Analyzer(100)
            try:
                a.push(self.bad)
            except klonos.SampleValueError:
                pass
            a.close()

    def analyze_call(self, i):
        kind = i % 4
        if kind == 0:
            klonos.analyze(self.wav, events=True, bouts=True)
        elif kind == 1:
            klonos.analyze(self.samples, rate=100, calibrate=True)
        elif kind == 2:
            try:
                klonos.analyze(self.wav, placement="forehead")
            except klonos.InvalidArgumentError:
                pass
        else:
            try:
                klonos.calibrate(self.wav)
            except klonos.NoDataError:
                pass

    def test_cycles_do_not_grow_rss(self):
        for i in range(100):  # warm up allocator arenas, caches, ctypes types
            self.analyzer_cycle(i)
            self.analyze_call(i % 8)
        before = rss_bytes()
        t0 = time.monotonic()
        for i in range(ANALYZER_CYCLES):
            self.analyzer_cycle(i)
        middle = rss_bytes()
        t1 = time.monotonic()
        for i in range(ANALYZE_CALLS):
            self.analyze_call(i)
        after = rss_bytes()
        t2 = time.monotonic()
        sys.stderr.write("\n  leak check: %d Analyzer cycles in %.2f s, RSS %+d KiB; %d analyze() calls in %.2f s, "
                         "RSS %+d KiB; total %+d KiB (bound %d KiB)\n"
                         % (ANALYZER_CYCLES, t1 - t0, (middle - before) // 1024, ANALYZE_CALLS, t2 - t1,
                            (after - middle) // 1024, (after - before) // 1024, RSS_BOUND_BYTES // 1024))
        self.assertLess(after - before, RSS_BOUND_BYTES)


if __name__ == "__main__":
    unittest.main()
