"""Real recordings from $KLONOS_REAL_DATA (Axivity CWA, text exports, ...).

Skips when the directory is absent, and the CWA tests skip while the CWA
reader is still scaffolding. The corpus sweep checks the binding against the
CLI on every file, whichever way each file turns out (read, or refused).
"""

import array
import glob
import json
import math
import os
import re
import subprocess
import unittest

import klonos

import test_support as S

try:
    import numpy
except ImportError:
    numpy = None

REAL = os.environ.get("KLONOS_REAL_DATA", "")
SKIP_NAMES = re.compile(r"(^|/)(LICENSE|NOTICE|README)[^/]*$")


def real_file(*parts):
    return os.path.join(REAL, *parts)


@unittest.skipUnless(REAL and os.path.isdir(REAL), "KLONOS_REAL_DATA is not a directory")
class CwaTest(unittest.TestCase):
    def open_cwa(self, *parts):
        p = real_file(*parts)
        if not os.path.exists(p):
            self.skipTest("%s is not in the real-data set" % p)
        try:
            reader = klonos.open(p)
        except klonos.Error as exc:
            S.skip_if_stub(self, exc, "CWA")
            raise
        self.addCleanup(reader.close)
        return reader

    def test_ax3_wrist(self):
        r = self.open_cwa("axivity-ax3-wrist", "ax3_testfile.cwa")
        self.assertEqual(r.format, "cwa")
        self.assertIn("AX3", r.format_detail)
        self.assertIn("AX3", r.device)
        self.assertEqual(r.channels, ("acc_x", "acc_y", "acc_z"))
        self.assertEqual(r.sample_rate_hz, 100.0)
        self.assertEqual(r.full_scale_g, 8.0)
        self.assertRegex(r.start_time, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$")
        self.assertIsInstance(r.start_time_unix_s, float)
        data = r.read_all()
        frames = len(data) // 3
        self.assertTrue(170 * 100 <= frames <= 180 * 100, frames)  # README: 174 s at 100 Hz
        mags = sorted(math.sqrt(data[i] ** 2 + data[i + 1] ** 2 + data[i + 2] ** 2)
                      for i in range(0, len(data), 3) if not math.isnan(data[i]))
        median_g = mags[len(mags) // 2] / S.G
        self.assertTrue(0.5 < median_g < 1.5, median_g)  # gravity dominates a worn sensor
        self.assertEqual(r.stats["frames_read"], frames)
        self.assertEqual(r.stats["bad_blocks"], 0)

    def test_ax6_has_gyro(self):
        r = self.open_cwa("axivity-ax6-gyro", "ax6_testfile.cwa")
        self.assertEqual(r.channel_count, 6)
        self.assertEqual(r.channels, klonos.FRAME_CHANNEL_NAMES)
        self.assertEqual(r.gyro_full_scale_dps, 250.0)
        self.assertEqual(r.full_scale_g, 16.0)
        self.assertEqual(len(r.read(100)), 600)

    def test_corrupt_blocks_are_reported(self):
        r = self.open_cwa("axivity-ax3-wrist", "ax3_testfile_corrupt_blocks_0_13_14_142_143_144.cwa")
        r.read_all()
        st = r.stats
        self.assertGreater(st["bad_blocks"], 0)
        notices = r.notices
        self.assertEqual(len(notices), min(st["notice_count"], 256))
        self.assertIn("bad_block", {n["kind"] for n in notices})

    def test_chunks_equal_read_all(self):
        whole = self.open_cwa("axivity-ax3-lowerback-gait", "ax3_sample.cwa").read_all()
        joined = array.array("f")
        for chunk in self.open_cwa("axivity-ax3-lowerback-gait", "ax3_sample.cwa").chunks(frames=1000):
            joined.extend(chunk)
        self.assertEqual(len(joined), len(whole))
        # NaN != NaN: compare the bytes
        self.assertEqual(joined.tobytes(), whole.tobytes())
        if numpy is not None:
            arr = self.open_cwa("axivity-ax3-lowerback-gait", "ax3_sample.cwa").read_all(numpy=True)
            self.assertEqual(arr.tobytes(), whole.tobytes())


@unittest.skipUnless(REAL and os.path.isdir(REAL), "KLONOS_REAL_DATA is not a directory")
@S.requires_cli
class CorpusParityTest(unittest.TestCase):
    def test_options_reach_the_library_as_the_cli_sends_them(self):
        # ActiGraph idle sleep: --gaps and gap_fill; CWA: --max-gap and max_gap
        cases = [(("actigraph-gt3x-waist", "actigraph_testfile.gt3x"), ("--gaps", "nan"), {"gap_fill": "nan"}),
                 (("actigraph-gt3x-waist", "actigraph_testfile.gt3x"), ("--gaps", "zero"), {"gap_fill": "zero"}),
                 (("axivity-ax3-wrist", "ax3_testfile_corrupt_blocks_0_13_14_142_143_144.cwa"),
                  ("--max-gap", "0.05"), {"max_gap": 0.05})]
        for parts, cli_args, options in cases:
            p = real_file(*parts)
            if not os.path.exists(p):
                continue
            with self.subTest(file=parts[-1], options=options):
                cli = S.cli_info(p, *cli_args)
                if not cli["ok"]:
                    with self.assertRaises(klonos.Error) as cm:
                        klonos.info(p, **options)
                    S.skip_if_stub(self, cm.exception, parts[-1])
                    self.assertEqual(cli["error"]["message"], cm.exception.message)
                else:
                    self.assertEqual(klonos.info(p, **options), cli)

    def test_every_file_matches_the_cli(self):
        files = sorted(p for p in glob.glob(os.path.join(REAL, "**", "*"), recursive=True)
                       if os.path.isfile(p) and not SKIP_NAMES.search(p))
        self.assertTrue(files)
        ok = 0
        for p in files:
            with self.subTest(file=os.path.relpath(p, REAL)):
                proc = subprocess.run([S.CLI, "info", "--json", p], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, check=False)
                cli = json.loads(proc.stdout.decode("utf-8"))
                if cli["ok"]:
                    self.assertEqual(klonos.info(p), cli)
                    ok += 1
                else:
                    with self.assertRaises(klonos.Error) as cm:
                        klonos.info(p)
                    e = cm.exception
                    self.assertEqual(cli["error"], {"code": e.code, "name": e.name, "message": e.message})
                    self.assertIs(type(e), klonos.errors.ERROR_CLASSES.get(e.code, klonos.Error))


if __name__ == "__main__":
    unittest.main()
