"""klonos.open / Reader on WAV inputs written here: metadata, values, buffers,
chunking, options, errors, lifetime, and parity with `klonos info --json`."""

import array
import calendar
import gc
import json
import math
import os
import pathlib
import subprocess
import unittest

import klonos

import test_support as S

try:
    import numpy
except ImportError:
    numpy = None

N_FRAMES = 1000


def codes(i):
    """int16 codes of frame i in the reference WAV: x sweeps, y = -x, z = 1 g at +-8 g."""
    x = (i * 37) % 20000 - 10000
    return (x, -x, 4096)


def expected_mps2(frames, full_scale_g=8.0):
    return [S.pcm16_to_mps2(c, full_scale_g) for fr in frames for c in fr]


class WavTestCase(S.TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.frames = [codes(i) for i in range(N_FRAMES)]
        self.wav = self.path("ref.wav")
        S.write_pcm16_wav(self.wav, self.frames)

    def open(self, path=None, **options):
        reader = klonos.open(path or self.wav, **options)
        self.addCleanup(reader.close)
        return reader


class MetadataTest(WavTestCase):
    def test_attributes_of_a_pcm16_wav(self):
        r = self.open()
        self.assertEqual(r.path, self.wav)
        self.assertEqual(r.format, "sndfile")
        self.assertIn("PCM_16", r.format_detail)
        self.assertIsNone(r.device)
        self.assertEqual(r.channel_count, 3)
        self.assertEqual(r.channels, ("acc_x", "acc_y", "acc_z"))
        self.assertEqual(r.source_channel_count, 3)
        self.assertEqual(r.source_channels, ("acc_x", "acc_y", "acc_z"))
        self.assertEqual(r.sample_rate_hz, 100.0)
        self.assertEqual(r.nominal_rate_hz, 100.0)
        self.assertIsNone(r.measured_rate_hz)
        self.assertEqual(r.frame_count, N_FRAMES)
        self.assertIsNone(r.start_time)
        self.assertIsNone(r.start_time_unix_s)
        self.assertFalse(r.timestamped)
        self.assertEqual(r.source_units, "g")
        self.assertEqual(r.full_scale_g, 8.0)
        self.assertIsNone(r.gyro_full_scale_dps)
        self.assertFalse(r.closed)
        self.assertIn("ref.wav", repr(r))

    def test_path_like_and_bytes_paths(self):
        for p in (pathlib.Path(self.wav), os.fsencode(self.wav)):
            with klonos.open(p) as r:
                self.assertEqual(r.path, self.wav)
                self.assertEqual(r.frame_count, N_FRAMES)

    def test_omconvert_wav_metadata(self):
        p = self.path("om.wav")
        # frame 1 is flagged "no data" (aux 0x8000), frame 2 "clipped" (aux 0x4000)
        S.write_omconvert_wav(p, [(100, -200, 300, 0), (1, 2, 3, -32768), (32767, 0, 0, 16384),
                                  (5, 6, 7, 0)], start="2023-01-02 03:04:05.250")
        r = self.open(p)
        self.assertEqual(r.format, "omconvert-wav")
        self.assertEqual(r.source_channels, ("acc_x", "acc_y", "acc_z", "aux"))
        self.assertEqual(r.channel_count, 3)
        self.assertEqual(r.start_time, "2023-01-02T03:04:05.250")
        self.assertAlmostEqual(r.start_time_unix_s,
                               calendar.timegm((2023, 1, 2, 3, 4, 5)) + 0.25, places=6)
        self.assertIn("12345", r.device)
        data = r.read_all()
        self.assertEqual(len(data), 12)
        self.assertTrue(all(math.isnan(v) for v in data[3:6]))
        self.assertTrue(S.close_enough(data[0], S.pcm16_to_mps2(100)))
        st = r.stats
        self.assertEqual(st["nan_frames"], 1)
        self.assertEqual(st["clipped"]["acc_x"], 1)


class ValuesTest(WavTestCase):
    def test_read_all_returns_float_array_in_mps2(self):
        r = self.open()
        data = r.read_all()
        self.assertIs(type(data), array.array)
        self.assertEqual(data.typecode, "f")
        self.assertFramesClose(data, expected_mps2(self.frames))
        self.assertEqual(r.stats["frames_read"], N_FRAMES)
        self.assertEqual(len(r.read_all()), 0)  # at the end: nothing more

    def test_read_in_pieces(self):
        r = self.open()
        first = r.read(10)
        self.assertEqual(len(first), 30)
        self.assertEqual(len(r.read(0)), 0)  # reads nothing, does not end the recording
        rest = r.read(N_FRAMES)
        self.assertEqual(len(rest), (N_FRAMES - 10) * 3)
        self.assertEqual(len(r.read()), 0)
        self.assertEqual(len(r.read()), 0)
        self.assertFramesClose(first + rest, expected_mps2(self.frames))

    def test_chunks_equal_read_all(self):
        whole = self.open().read_all()
        for size in (1, 7, 64, 999, 1000, 1001, 65536):
            with self.subTest(frames=size):
                r = self.open()
                pieces = list(r.chunks(frames=size))
                self.assertEqual(len(pieces), math.ceil(N_FRAMES / size))
                self.assertTrue(all(len(p) == size * 3 for p in pieces[:-1]))
                joined = array.array("f")
                for p in pieces:
                    joined.extend(p)
                self.assertEqual(joined, whole)

    def test_read_all_after_a_partial_read(self):
        r = self.open()
        head = r.read(123)
        tail = r.read_all()
        self.assertEqual(head + tail, self.open().read_all())

    def test_read_all_grows_when_frame_count_underestimates(self):
        big = self.path("big.wav")
        frames = array.array("h", (i % 3000 - 1500 for i in range(150000 * 3)))
        S.write_pcm16_wav(big, frames)
        whole = self.open(big).read_all()
        self.assertEqual(len(whole), 150000 * 3)
        for hint in (10, -1, 65536, 150000):  # wrong, unknown, short, exact
            with self.subTest(frame_count_hint=hint):
                r = self.open(big)
                r._info.frame_count = hint
                self.assertEqual(r.read_all(), whole)

    def test_full_scale_option(self):
        r = self.open(full_scale=2)
        self.assertEqual(r.full_scale_g, 2.0)
        self.assertFramesClose(r.read_all(), expected_mps2(self.frames, 2.0))

    def test_clipping_is_counted_per_axis(self):
        p = self.path("clip.wav")
        S.write_pcm16_wav(p, [(32767, 0, 0), (-32768, 0, 0), (0, 32767, 0), (0, 0, 0)])
        r = self.open(p)
        r.read_all()
        self.assertEqual(r.stats["clipped"], {"acc_x": 2, "acc_y": 1, "acc_z": 0})

    def test_float_wav_units(self):
        p = self.path("float.wav")
        S.write_float_wav(p, [(0.5, -1.0, 2.0)] * 5)
        cases = [(None, S.G), ("g", S.G), ("mg", S.G / 1000), ("mps2", 1.0), ("m/s^2", 1.0),
                 (klonos.Units.MPS2, 1.0), (int(klonos.Units.MG), S.G / 1000)]
        for units, scale in cases:
            with self.subTest(units=units):
                r = self.open(p, units=units)
                self.assertIn("FLOAT", r.format_detail)
                self.assertIsNone(r.full_scale_g)
                self.assertFramesClose(r.read_all(), [0.5 * scale, -scale, 2 * scale] * 5)

    def test_six_channel_float_wav_gyro_in_rad_per_s(self):
        p = self.path("imu.wav")
        S.write_float_wav(p, [(0.0, 0.0, 1.0, 90.0, -180.0, 45.0)] * 4, channels=6)
        r = self.open(p)
        self.assertEqual(r.channel_count, 6)
        self.assertEqual(r.channels, klonos.FRAME_CHANNEL_NAMES)
        self.assertFramesClose(r.read_all(), [0, 0, S.G, math.pi / 2, -math.pi, math.pi / 4] * 4)
        r2 = self.open(p, gyro_units="rads")
        self.assertFramesClose(r2.read(1), [0, 0, S.G, 90.0, -180.0, 45.0])


class NumpyTest(WavTestCase):
    def setUp(self):
        if numpy is None:
            self.skipTest("numpy is not installed")
        super().setUp()

    def test_read_all_shape_dtype_values(self):
        flat = self.open().read_all()
        data = self.open().read_all(numpy=True)
        self.assertIsInstance(data, numpy.ndarray)
        self.assertEqual(data.dtype, numpy.float32)
        self.assertEqual(data.shape, (N_FRAMES, 3))
        self.assertTrue(data.flags["C_CONTIGUOUS"])
        self.assertTrue(numpy.array_equal(data.ravel(), numpy.frombuffer(flat, dtype=numpy.float32)))

    def test_read_and_chunks(self):
        r = self.open()
        part = r.read(10, numpy=True)
        self.assertEqual(part.shape, (10, 3))
        rest = list(r.chunks(frames=333, numpy=True))
        self.assertEqual([c.shape for c in rest], [(333, 3), (333, 3), (324, 3)])
        self.assertEqual(r.read(5, numpy=True).shape, (0, 3))
        joined = numpy.concatenate([part] + rest)
        self.assertTrue(numpy.array_equal(joined, self.open().read_all(numpy=True)))

    def test_grow_path(self):
        r = self.open()
        r._info.frame_count = 100
        self.assertTrue(numpy.array_equal(r.read_all(numpy=True), self.open().read_all(numpy=True)))

    def test_six_channels(self):
        p = self.path("imu.wav")
        S.write_float_wav(p, [(0.0, 0.0, 1.0, 90.0, 0.0, 0.0)] * 4, channels=6)
        data = self.open(p).read_all(numpy=True)
        self.assertEqual(data.shape, (4, 6))
        self.assertAlmostEqual(float(data[3, 3]), math.pi / 2, places=5)


@unittest.skipIf(numpy is not None, "numpy is installed")
class NoNumpyTest(WavTestCase):
    def test_numpy_true_without_numpy_is_a_clear_import_error(self):
        r = self.open()
        with self.assertRaisesRegex(ImportError, "numpy"):
            r.read(10, numpy=True)


class ErrorTest(WavTestCase):
    def assertKlonosError(self, cls, code, fn, *args, **kwargs):
        with self.assertRaises(cls) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.code, code)
        self.assertEqual(cm.exception.name, klonos.status_name(code))
        return cm.exception

    def test_missing_file(self):
        p = self.path("missing.wav")
        e = self.assertKlonosError(klonos.FileError, -3, klonos.open, p)
        self.assertEqual(e.name, "KLONOS_E_IO")
        self.assertIn(p, e.message)
        self.assertIn(p, str(e))
        self.assertEqual(e.path, p)
        self.assertEqual(e.filename, p)
        self.assertIsInstance(e, OSError)

    def test_directory(self):
        e = self.assertKlonosError(klonos.FileError, klonos.Status.E_IO, klonos.open, self.tmp)
        self.assertIn("directory", e.message)

    def test_empty_file(self):
        p = self.path("empty.wav")
        open(p, "wb").close()
        e = self.assertKlonosError(klonos.EmptyRecordingError, klonos.Status.E_EMPTY, klonos.open, p)
        self.assertIn(p, e.message)

    def test_unsupported_format(self):
        p = self.path("noise.bin")
        with open(p, "wb") as f:
            f.write(bytes(range(256)) * 8)
        e = self.assertKlonosError(klonos.FormatError, klonos.Status.E_FORMAT, klonos.open, p)
        self.assertIn(p, e.message)
        self.assertKlonosError(klonos.FormatError, klonos.Status.E_FORMAT, klonos.open, p, input_format="sndfile")

    def test_truncated_wav(self):
        with open(self.wav, "r+b") as f:
            f.truncate(os.path.getsize(self.wav) - 600)
        e = self.assertKlonosError(klonos.CorruptError, klonos.Status.E_CORRUPT, klonos.open, self.wav)
        self.assertIn("truncated", e.message)

    def test_wrong_channel_counts(self):
        for nch in (1, 2, 4, 5):
            with self.subTest(channels=nch):
                p = self.path("ch%d.wav" % nch)
                S.write_pcm16_wav(p, [(1,) * nch] * 10, channels=nch)
                self.assertKlonosError(klonos.ChannelError, klonos.Status.E_CHANNELS, klonos.open, p)
        p = self.path("int6.wav")
        S.write_pcm16_wav(p, [(1,) * 6] * 10, channels=6)
        e = self.assertKlonosError(klonos.ChannelError, klonos.Status.E_CHANNELS, klonos.open, p)
        self.assertIn("gyroscope", e.message)

    def test_bad_rates(self):
        for rate in (-1, -0.5, 0, 1e6, float("nan"), float("inf")):
            with self.subTest(rate=rate):
                e = self.assertKlonosError(klonos.RateError, klonos.Status.E_RATE, klonos.open, self.wav, rate=rate)
                self.assertIn("rate", e.message)
        # a valid rate that differs from the WAV's: resampling is not offered
        self.assertKlonosError(klonos.RateError, klonos.Status.E_RATE, klonos.open, self.wav, rate=200)
        with klonos.open(self.wav, rate=100) as r:
            self.assertEqual(r.sample_rate_hz, 100.0)

    def test_bad_units(self):
        inval = klonos.Status.E_INVAL
        for kwargs in ({"units": "furlongs"}, {"units": "dps"}, {"units": 99}, {"units": klonos.Units.DPS},
                       {"gyro_units": "g"}, {"gyro_units": klonos.Units.MG}, {"gyro_units": -4}):
            with self.subTest(**{k: str(v) for k, v in kwargs.items()}):
                e = self.assertKlonosError(klonos.InvalidArgumentError, inval, klonos.open, self.wav, **kwargs)
                self.assertIsInstance(e, ValueError)

    def test_bad_input_format(self):
        inval = klonos.Status.E_INVAL
        self.assertKlonosError(klonos.InvalidArgumentError, inval, klonos.open, self.wav, input_format="mp3")
        e = self.assertKlonosError(klonos.InvalidArgumentError, inval, klonos.open, self.wav, input_format=42)
        self.assertIn("42", e.message)
        with klonos.open(self.wav, input_format="wav") as r:
            self.assertEqual(r.format, "sndfile")
        with klonos.open(self.wav, input_format=klonos.Format.SNDFILE) as r:
            self.assertEqual(r.format, "sndfile")

    def test_bad_full_scale_and_max_gap(self):
        inval = klonos.Status.E_INVAL
        for kwargs in ({"full_scale": -1}, {"full_scale": 0}, {"full_scale": 2000}, {"full_scale": float("nan")},
                       {"max_gap": 0}, {"max_gap": -1}, {"max_gap": float("inf")}):
            with self.subTest(**kwargs):
                self.assertKlonosError(klonos.InvalidArgumentError, inval, klonos.open, self.wav, **kwargs)
        with klonos.open(self.wav, max_gap=2.5) as r:
            self.assertEqual(r.frame_count, N_FRAMES)

    def test_option_errors_raised_in_python_name_the_file(self):
        for kwargs in ({"units": "furlongs"}, {"rate": 0}, {"columns": "x" * 200}, {"units": 2**32 + 1}):
            with self.subTest(**{k: str(v)[:20] for k, v in kwargs.items()}):
                with self.assertRaises(klonos.Error) as cm:
                    klonos.open(self.wav, **kwargs)
                self.assertTrue(cm.exception.message.startswith(self.wav + ": "), cm.exception.message)
                self.assertEqual(cm.exception.path, self.wav)

    def test_gap_fill_option(self):
        inval = klonos.Status.E_INVAL
        self.assertKlonosError(klonos.InvalidArgumentError, inval, klonos.open, self.wav, gap_fill="bogus")
        e = self.assertKlonosError(klonos.InvalidArgumentError, inval, klonos.open, self.wav, gap_fill=9)
        self.assertIn("gap_fill", e.message)
        for fill in ("nan", "last", "zero", "default", klonos.GapFill.NAN):
            with klonos.open(self.wav, gap_fill=fill) as r:  # WAV has no idle-sleep gaps
                self.assertEqual(r.frame_count, N_FRAMES)

    def test_columns_option(self):
        inval = klonos.Status.E_INVAL
        self.assertKlonosError(klonos.InvalidArgumentError, inval, klonos.open, self.wav, columns="x" * 128)
        self.assertKlonosError(klonos.InvalidArgumentError, inval, klonos.open, self.wav, columns="x\0y")
        with klonos.open(self.wav, columns="x" * 127) as r:  # fits; WAV ignores it
            self.assertEqual(r.channel_count, 3)
        with klonos.open(self.wav, columns=["t", 2, 3, 4]) as r:
            self.assertEqual(r.channel_count, 3)

    def test_option_types(self):
        for kwargs in ({"rate": "100"}, {"units": 1.5}, {"full_scale": "8"}, {"max_gap": []},
                       {"input_format": 3.0}, {"columns": 5}, {"rate": True}):
            with self.subTest(**{k: repr(v) for k, v in kwargs.items()}):
                with self.assertRaises(TypeError):
                    klonos.open(self.wav, **kwargs)

    def test_nul_in_path(self):
        with self.assertRaises(klonos.InvalidArgumentError):
            klonos.open(self.wav + "\0x")
        with self.assertRaises(ValueError):
            klonos.open(self.wav + "\0x")

    def test_bad_read_arguments(self):
        r = self.open()
        self.assertKlonosError(klonos.InvalidArgumentError, klonos.Status.E_INVAL, r.read, -1)
        self.assertKlonosError(klonos.InvalidArgumentError, klonos.Status.E_INVAL, r.chunks, 0)
        with self.assertRaises(TypeError):
            r.read("10")
        with self.assertRaises(TypeError):
            r.read(2.0)

    def test_error_while_reading_is_sticky(self):
        p = self.path("nan.wav")
        S.write_float_wav(p, [(0.0, 0.0, 1.0)] * 10 + [(float("nan"), 0.0, 1.0)] + [(0.0, 0.0, 1.0)] * 10)
        r = self.open(p)
        e = self.assertKlonosError(klonos.SampleValueError, klonos.Status.E_VALUE, r.read_all)
        self.assertIn(p, e.message)
        self.assertIn("NaN", e.message)
        self.assertKlonosError(klonos.SampleValueError, klonos.Status.E_VALUE, r.read, 5)
        self.assertIsInstance(r.stats["frames_read"], int)  # counters stay readable
        r.close()
        self.assertTrue(r.closed)


class LifetimeTest(WavTestCase):
    def test_context_manager_closes(self):
        with klonos.open(self.wav) as r:
            self.assertFalse(r.closed)
            data = r.read_all()
        self.assertTrue(r.closed)
        # metadata, stats and notices survive close
        self.assertEqual(r.frame_count, N_FRAMES)
        self.assertEqual(r.stats["frames_read"], N_FRAMES)
        self.assertEqual(len(data), N_FRAMES * 3)
        self.assertEqual(r.notices, [])
        self.assertEqual(r.info_dict()["frames"], N_FRAMES)

    def test_close_is_idempotent_and_use_after_close_raises(self):
        r = klonos.open(self.wav)
        r.read(5)
        r.close()
        r.close()
        self.assertTrue(r.closed)
        st = klonos.Status.E_STATE
        for call in (lambda: r.read(1), r.read_all, lambda: r.chunks(10), r.__enter__):
            with self.assertRaises(klonos.StateError) as cm:
                call()
            self.assertEqual(cm.exception.code, st)
            self.assertIn("closed", cm.exception.message)
        self.assertEqual(r.stats["frames_read"], 5)

    def test_exception_in_with_block_still_closes(self):
        with self.assertRaises(ZeroDivisionError):
            with klonos.open(self.wav) as r:
                1 / 0
        self.assertTrue(r.closed)

    def test_unclosed_reader_is_closed_by_gc_with_a_resource_warning(self):
        with self.assertWarns(ResourceWarning):
            r = klonos.open(self.wav)
            del r
            gc.collect()

    def test_failed_open_leaves_nothing_to_close(self):
        with self.assertRaises(klonos.FileError):
            klonos.open(self.path("nope.wav"))
        gc.collect()  # no ResourceWarning, no crash: the handle was closed inside open


class StatsTest(WavTestCase):
    def test_stats_keys_and_progress(self):
        r = self.open()
        st = r.stats
        self.assertEqual(set(st), {"frames_read", "clipped", "gap_count", "gap_total_s", "nan_frames",
                                   "bad_blocks", "notice_count"})
        self.assertEqual(st["frames_read"], 0)
        r.read(250)
        self.assertEqual(r.stats["frames_read"], 250)
        st2 = r.stats
        st2["clipped"]["acc_x"] = 99  # a copy: changing it changes nothing
        self.assertEqual(r.stats["clipped"]["acc_x"], 0)
        self.assertEqual(r.notices, [])


@S.requires_cli
class CliParityTest(WavTestCase):
    """Reader.info_dict() / klonos.info() == `klonos info --json`, key for key."""

    def assertSameAsCli(self, path, cli_args=(), **options):
        cli = S.cli_info(path, *cli_args)
        self.assertTrue(cli["ok"], cli)
        via_info = klonos.info(path, **options)
        self.assertEqual(list(via_info), list(cli))  # same keys, same order
        self.assertEqual(via_info, cli)
        with klonos.open(path, **options) as r:
            r.read_all()
            self.assertEqual(r.info_dict(), cli)

    def test_pcm16_wav(self):
        self.assertSameAsCli(self.wav)

    def test_full_scale_and_clipping(self):
        p = self.path("clip.wav")
        S.write_pcm16_wav(p, [(32767, -32768, 0), (0, 32767, 5)] * 30)
        self.assertSameAsCli(p)
        self.assertSameAsCli(p, ("--full-scale", "2"), full_scale=2)

    def test_float_wav_with_units(self):
        p = self.path("f.wav")
        S.write_float_wav(p, [(0.25, 0.5, -1.0)] * 77, rate_hz=50)
        self.assertSameAsCli(p, ("--units", "mg"), units="mg")

    def test_six_channel_float_wav(self):
        p = self.path("imu.wav")
        S.write_float_wav(p, [(0.0, 0.1, 1.0, 10.0, 20.0, 30.0)] * 64, rate_hz=64, channels=6)
        self.assertSameAsCli(p, ("--gyro-units", "rads"), gyro_units="rads")

    def test_omconvert_wav(self):
        p = self.path("om.wav")
        S.write_omconvert_wav(p, [(100, -200, 300, 0), (1, 2, 3, -32768), (32767, 0, 0, 16384)] * 5)
        self.assertSameAsCli(p)

    def test_info_dict_before_reading_reports_nothing_read_yet(self):
        with klonos.open(self.wav) as r:
            d = r.info_dict()
        self.assertEqual(d["frames"], 0)
        self.assertEqual(d["duration_s"], 0.0)
        cli = S.cli_info(self.wav)
        self.assertEqual({k: v for k, v in d.items() if k not in ("frames", "duration_s")},
                         {k: v for k, v in cli.items() if k not in ("frames", "duration_s")})

    def test_cli_error_object_matches_python_error(self):
        p = self.path("missing.wav")
        proc = subprocess.run([S.CLI, "info", "--json", p], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertNotEqual(proc.returncode, 0)
        cli = json.loads(proc.stdout)
        self.assertFalse(cli["ok"])
        with self.assertRaises(klonos.Error) as cm:
            klonos.info(p)
        e = cm.exception
        self.assertEqual(cli["error"], {"code": e.code, "name": e.name, "message": e.message})


if __name__ == "__main__":
    unittest.main()
