"""CSV/TSV text through the binding, against the rules in include/klonos/reader.h:
columns "[t,]x,y,z[,gx,gy,gz]" by name or 1-based index, a rate required
without a time column, gaps longer than max_gap become NaN frames and notices.

While the CSV reader was still scaffolding (every open failing with "todo")
these tests skipped themselves; see test_support.skip_if_stub.
"""

import array
import math
import unittest

import klonos

import test_support as S


class CsvTestCase(S.TempDirTestCase):
    def write(self, name, text):
        p = self.path(name)
        with open(p, "w", newline="") as f:
            f.write(text)
        return p

    def open(self, path, **options):
        try:
            reader = klonos.open(path, **options)
        except klonos.Error as exc:
            S.skip_if_stub(self, exc, "CSV")
            raise
        self.addCleanup(reader.close)
        return reader

    def untimed(self, n=200):
        rows = [(i * 0.01, -0.5, 1.0) for i in range(n)]
        text = "x,y,z\n" + "".join("%r,%r,%r\n" % r for r in rows)
        return self.write("untimed.csv", text), rows

    def timed(self, n=100, rate_hz=100, gap_after=None, gap_s=0.0):
        lines = ["t,x,y,z"]
        for i in range(n):
            t = i / rate_hz + (gap_s if gap_after is not None and i >= gap_after else 0.0)
            lines.append("%.4f,%r,%r,%r" % (t, 0.1, 0.2, 1.0))
        return self.write("timed.csv", "\n".join(lines) + "\n")


class CsvTest(CsvTestCase):
    def test_untimed_csv_needs_a_rate(self):
        p, _ = self.untimed()
        with self.assertRaises(klonos.RateError) as cm:
            self.open(p)
        self.assertEqual(cm.exception.code, klonos.Status.E_RATE)
        self.assertIn(p, cm.exception.message)

    def test_untimed_csv_values_in_g(self):
        p, rows = self.untimed()
        r = self.open(p, rate=50, units="g")
        self.assertEqual(r.format, "csv")
        self.assertEqual(r.sample_rate_hz, 50.0)
        self.assertEqual(r.channels, ("acc_x", "acc_y", "acc_z"))
        self.assertEqual(r.source_channels, ("acc_x", "acc_y", "acc_z"))
        self.assertEqual(r.source_units, "g")
        self.assertIsNone(r.start_time)
        self.assertFramesClose(r.read_all(), [v * S.G for row in rows for v in row])
        self.assertEqual(r.stats["frames_read"], len(rows))

    def test_units_option(self):
        p, rows = self.untimed(20)
        for units, scale in (("mps2", 1.0), ("mg", S.G / 1000)):
            with self.subTest(units=units):
                r = self.open(p, rate=10, units=units)
                self.assertFramesClose(r.read_all(), [v * scale for row in rows for v in row])

    def test_chunks_equal_read_all(self):
        p, _ = self.untimed(500)
        whole = self.open(p, rate=50, units="g").read_all()
        joined = array.array("f")
        for chunk in self.open(p, rate=50, units="g").chunks(frames=64):
            joined.extend(chunk)
        self.assertEqual(joined, whole)

    def test_columns_by_index_and_name(self):
        p = self.write("cols.csv", "a,b,c,d,e\n" + "9,1,2,3,9\n" * 20)
        with self.assertRaises(klonos.ChannelError):  # no header name says x, y, z
            self.open(p, rate=10)
        for columns in ("2,3,4", [2, 3, 4], "b,c,d", ["b", "c", "d"]):
            with self.subTest(columns=columns):
                r = self.open(p, rate=10, units="g", columns=columns)
                self.assertEqual(r.source_channels, ("ignored", "acc_x", "acc_y", "acc_z", "ignored"))
                self.assertFramesClose(r.read(1), [S.G, 2 * S.G, 3 * S.G])

    def test_unknown_column(self):
        p = self.write("cols.csv", "a,b,c\n" + "1,2,3\n" * 5)
        with self.assertRaises(klonos.ChannelError) as cm:
            self.open(p, rate=10, columns="a,b,zz")
        self.assertEqual(cm.exception.code, klonos.Status.E_CHANNELS)
        self.assertIn("zz", cm.exception.message)

    def test_time_column_sets_the_rate(self):
        p = self.timed(n=300, rate_hz=100)
        r = self.open(p, units="g")
        self.assertEqual(r.sample_rate_hz, 100.0)
        self.assertTrue(S.close_enough(r.measured_rate_hz, 100.0, rel=1e-3))
        self.assertEqual(r.source_channels, ("time", "acc_x", "acc_y", "acc_z"))
        data = r.read_all()
        self.assertEqual(len(data), 300 * 3)
        self.assertFramesClose(data[:3], [0.1 * S.G, 0.2 * S.G, S.G])

    def test_gap_becomes_nan_frames_and_a_notice(self):
        p = self.timed(n=200, rate_hz=100, gap_after=100, gap_s=2.0)
        r = self.open(p, units="g")
        data = r.read_all()
        st = r.stats
        self.assertEqual(st["gap_count"], 1)
        self.assertGreater(st["gap_total_s"], 1.9)
        self.assertGreater(st["nan_frames"], 150)
        self.assertEqual(sum(1 for v in data[0::3] if math.isnan(v)), st["nan_frames"])
        gaps = [n for n in r.notices if n["kind"] == "gap"]
        self.assertEqual(len(gaps), 1)
        self.assertEqual(set(gaps[0]), {"kind", "frame", "time_s", "duration_s", "message"})
        self.assertEqual(gaps[0]["frame"], 100)
        self.assertAlmostEqual(gaps[0]["time_s"], 1.0)
        self.assertGreater(gaps[0]["duration_s"], 1.9)
        # with a larger max_gap the same jump is not a reported gap
        r2 = self.open(p, units="g", max_gap=5)
        r2.read_all()
        self.assertEqual(r2.stats["gap_count"], 0)

    def test_gyro_columns(self):
        rows = "".join("%.2f,0,0,1,90,-90,180\n" % (i * 0.01) for i in range(50))
        p = self.write("imu.csv", "t,ax,ay,az,gx,gy,gz\n" + rows)
        r = self.open(p, units="g", gyro_units="dps")
        self.assertEqual(r.channel_count, 6)
        self.assertEqual(r.channels, klonos.FRAME_CHANNEL_NAMES)
        self.assertFramesClose(r.read(1), [0, 0, S.G, math.pi / 2, -math.pi / 2, math.pi])

    def test_non_numeric_sample(self):
        p = self.write("bad.csv", "x,y,z\n1,2,3\n1,abc,3\n" + "1,2,3\n" * 10)
        with self.assertRaises(klonos.SampleValueError) as cm:
            self.open(p, rate=10).read_all()
        self.assertEqual(cm.exception.code, klonos.Status.E_VALUE)
        self.assertIn("abc", cm.exception.message)

    def test_timestamps_going_backwards(self):
        rows = "0,1,1,1\n0.02,1,1,1\n0.01,1,1,1\n" + "".join("%.2f,1,1,1\n" % (0.03 + i * 0.01) for i in range(10))
        p = self.write("back.csv", "t,x,y,z\n" + rows)
        with self.assertRaises(klonos.TimestampError) as cm:
            self.open(p).read_all()
        self.assertEqual(cm.exception.code, klonos.Status.E_TIME)

    def test_header_only_is_empty(self):
        p = self.write("hdr.csv", "x,y,z\n")
        with self.assertRaises(klonos.Error) as cm:
            self.open(p, rate=10).read_all()
        S.skip_if_stub(self, cm.exception, "CSV")
        self.assertIsInstance(cm.exception, (klonos.EmptyRecordingError, klonos.FormatError))


@S.requires_cli
class CsvCliParityTest(CsvTestCase):
    def assertSameAsCli(self, path, cli_args, **options):
        try:
            got = klonos.info(path, **options)
        except klonos.Error as exc:
            S.skip_if_stub(self, exc, "CSV")
            raise
        self.assertEqual(got, S.cli_info(path, *cli_args))

    def test_untimed(self):
        p, _ = self.untimed()
        self.assertSameAsCli(p, ("--rate", "50", "--units", "g"), rate=50, units="g")

    def test_timed_with_gap_and_notices(self):
        p = self.timed(n=200, rate_hz=100, gap_after=100, gap_s=2.0)
        self.assertSameAsCli(p, ())
        self.assertSameAsCli(p, ("--max-gap", "0.5", "--columns", "t,x,y,z"), max_gap=0.5, columns="t,x,y,z")


if __name__ == "__main__":
    unittest.main()
