"""Samples in every buffer form give the same analysis, without a Python loop
per sample; float32 C-contiguous writable input is read in place.

numpy tests skip when numpy is not installed.
"""

import array
import ctypes
import sys
import unittest

import klonos
from klonos import _buffers

import test_support as S

np = S.numpy_or_none()
needs_numpy = unittest.skipIf(np is None, "numpy is not installed")

RATE = 100


def reference_frames():
    """Two minutes of standing with jerks, as array('f') (interleaved m/s^2)."""
    samples, _ = klonos.synth(scenario="stance-jerks", duration=120, seed=11)
    return samples


class _Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.f32 = reference_frames()
        cls.expected = klonos.analyze(cls.f32, rate=RATE, events=True).to_dict()
        cls.frames = len(cls.f32) // 3

    def check(self, samples, **options):
        got = klonos.analyze(samples, rate=RATE, events=True, **options).to_dict()
        self.assertEqual(got, self.expected)


class BufferTest(_Base):
    def test_array_f_and_d(self):
        self.check(self.f32)
        self.check(array.array("d", self.f32))  # float64 of float32 values: the same floats back

    def test_memoryviews(self):
        self.check(memoryview(self.f32))
        self.check(memoryview(self.f32).cast("B").cast("f", (self.frames, 3)))  # 2-D
        self.check(memoryview(bytes(self.f32)).cast("f"))  # read-only: copied once
        d = array.array("d", self.f32)
        self.check(memoryview(d).cast("B").cast("d", (self.frames, 3)))

    def test_non_contiguous_memoryview(self):
        # Every frame twice, then every other row of the 2-D view: strided.
        doubled = array.array("f")
        for i in range(0, len(self.f32), 3):
            doubled.extend(self.f32[i:i + 3])
            doubled.extend((1.0, 2.0, 3.0))
        view = memoryview(doubled).cast("B").cast("f", (2 * self.frames, 3))[::2]
        self.assertFalse(view.c_contiguous)
        self.check(view)

    def test_big_endian_bytes(self):
        swapped = array.array("f", self.f32)
        swapped.byteswap()
        order = ">" if sys.byteorder == "little" else "<"

        class Exporter:
            """A buffer of non-native floats (format '>f'), via ctypes."""

            def __init__(self, raw):
                ctype = ctypes.c_float.__ctype_be__ if order == ">" else ctypes.c_float.__ctype_le__
                self.data = (ctype * len(raw)).from_buffer_copy(raw.tobytes())

        view = memoryview(Exporter(swapped).data)
        self.assertIn(view.format[0], "<>")
        self.check(view)

    def test_flat_needs_whole_frames_and_channels(self):
        with self.assertRaises(klonos.ChannelError):
            klonos.analyze(self.f32[:-2], rate=RATE)
        six = array.array("f", [0.0, 0.0, S.G, 0.0, 0.0, 0.0] * 3000)
        self.assertEqual(klonos.analyze(six, rate=RATE, channels=6).recording["channels"], 6)
        self.assertEqual(klonos.analyze(six, rate=RATE).recording["channels"], 3)  # flat: 3 unless told

    def test_wrong_types(self):
        for bad in ([0.0, 0.0, 9.8], (0.0, 0.0, 9.8), 3.0, None):
            with self.assertRaises(TypeError):
                klonos.analyze(bad, rate=RATE)
        with self.assertRaises(TypeError):
            klonos.analyze(array.array("i", [0, 0, 1] * 100), rate=RATE)
        with self.assertRaises(TypeError):
            klonos.analyze(bytearray(12 * 100), rate=RATE)
        with self.assertRaises(TypeError):
            klonos.analyze(self.f32, rate="100")

    def test_zero_copy_for_float32(self):
        fr = _buffers.as_frames(self.f32)
        self.assertFalse(fr.copied)
        self.assertEqual(ctypes.addressof(fr.pointer.contents), self.f32.buffer_info()[0])
        copied = _buffers.as_frames(array.array("d", self.f32))
        self.assertTrue(copied.copied)
        readonly = _buffers.as_frames(memoryview(bytes(self.f32)).cast("f"))
        self.assertTrue(readonly.copied)

    def test_offsets_for_slices(self):
        fr = _buffers.as_frames(self.f32)
        p = fr.offset(10)
        self.assertEqual(p[0], self.f32[30])
        self.assertEqual(p[2], self.f32[32])


@needs_numpy
class NumpyBufferTest(_Base):
    def test_numpy_float32_and_float64(self):
        a = np.frombuffer(self.f32, dtype=np.float32).reshape(-1, 3).copy()
        self.check(a)
        self.check(a.astype(np.float64))
        self.check(a.reshape(-1))  # flat
        self.check(a.astype(">f4"))  # non-native byte order

    def test_numpy_non_contiguous(self):
        a = np.frombuffer(self.f32, dtype=np.float32).reshape(-1, 3)
        wide = np.zeros((a.shape[0], 5), dtype=np.float32)
        wide[:, 1:4] = a
        view = wide[:, 1:4]
        self.assertFalse(view.flags.c_contiguous)
        self.check(view)
        every_other = np.repeat(a, 2, axis=0)[::2]
        self.assertFalse(every_other.flags.c_contiguous)
        self.check(every_other)
        self.check(np.asfortranarray(a))
        self.check(np.asfortranarray(a.astype(np.float64)))

    def test_numpy_zero_copy_and_readonly(self):
        a = np.frombuffer(self.f32, dtype=np.float32).reshape(-1, 3).copy()
        fr = _buffers.as_frames(a)
        self.assertFalse(fr.copied)
        self.assertEqual(ctypes.addressof(fr.pointer.contents), a.ctypes.data)
        a.flags.writeable = False
        fr = _buffers.as_frames(a)  # numpy hands out read-only pointers too
        self.assertFalse(fr.copied)
        self.check(a)

    def test_numpy_shape_errors(self):
        a = np.zeros((100, 3), dtype=np.float32)
        with self.assertRaises(klonos.ChannelError):
            klonos.analyze(a, rate=RATE, channels=6)
        with self.assertRaises(klonos.ChannelError):
            klonos.analyze(np.zeros((10, 3, 2), dtype=np.float32), rate=RATE)
        with self.assertRaises(TypeError):
            klonos.analyze(a.astype(np.int16), rate=RATE)


if __name__ == "__main__":
    unittest.main()
