"""No leaks: 10,000 open/close cycles (5,000 of them failing opens) must not
grow the resident set beyond a small bound (read from /proc/self/statm).

A handle leaked per cycle would cost ~50 KiB (the C handle keeps 256 notices),
i.e. hundreds of MiB over the loop; a leaked path string or options copy
would still add megabytes. The bound leaves room for allocator noise only.
"""

import os
import sys
import time
import unittest

import klonos

import test_support as S

CYCLES = 10000
RSS_BOUND_BYTES = 1 << 20  # 1 MiB


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@unittest.skipUnless(os.path.exists("/proc/self/statm"), "needs /proc/self/statm")
class LeakTest(S.TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.good = self.path("good.wav")
        S.write_pcm16_wav(self.good, [(i, -i, 4096) for i in range(2000)])
        self.float_wav = self.path("nan.wav")
        S.write_float_wav(self.float_wav, [(0.0, 0.0, 1.0)] * 5 + [(float("nan"), 0.0, 0.0)])
        empty = self.path("empty.wav")
        open(empty, "wb").close()
        noise = self.path("noise.bin")
        with open(noise, "wb") as f:
            f.write(bytes(range(256)) * 4)
        two = self.path("two.wav")
        S.write_pcm16_wav(two, [(1, 2)] * 10, channels=2)
        # Failing opens of every kind: C-side failures (which hand back a
        # handle to close) and option errors caught before or by the C call.
        self.failures = [
            (self.path("missing.wav"), {}),
            (self.tmp, {}),
            (empty, {}),
            (noise, {}),
            (two, {}),
            (self.good, {"rate": -1}),
            (self.good, {"units": 99}),
            (self.good, {"units": "furlongs"}),
        ]

    def cycle(self, i):
        if i % 2 == 0:
            with klonos.open(self.good) as r:
                r.read(64)
                if i % 10 == 0:
                    r.stats
                    r.notices
                    r.info_dict()
            if i % 50 == 0:
                r = klonos.open(self.float_wav)  # a read error, then close
                try:
                    r.read_all()
                except klonos.SampleValueError:
                    pass
                r.close()
        else:
            path, options = self.failures[(i // 2) % len(self.failures)]
            try:
                klonos.open(path, **options)
            except klonos.Error:
                pass
            else:
                self.fail("open(%r, %r) should fail" % (path, options))

    def test_open_close_cycles_do_not_grow_rss(self):
        for i in range(500):  # warm up caches, allocator arenas, ctypes types
            self.cycle(i)
        before = rss_bytes()
        t0 = time.monotonic()
        for i in range(CYCLES):
            self.cycle(i)
        elapsed = time.monotonic() - t0
        after = rss_bytes()
        sys.stderr.write("\n  leak check: %d cycles (%d failing opens) in %.2f s; RSS before %d KiB, after %d KiB, "
                         "growth %+d KiB (bound %d KiB)\n"
                         % (CYCLES, CYCLES // 2, elapsed, before // 1024, after // 1024, (after - before) // 1024,
                            RSS_BOUND_BYTES // 1024))
        self.assertLess(after - before, RSS_BOUND_BYTES)


if __name__ == "__main__":
    unittest.main()
