"""Distinct readers in parallel threads; one reader shared between threads."""

import array
import threading
import unittest

import klonos

import test_support as S

FRAMES = 200000


def _read_chunks(path, out, key, barrier, chunk_frames):
    barrier.wait()
    joined = array.array("f")
    with klonos.open(path) as r:
        for chunk in r.chunks(frames=chunk_frames):
            joined.extend(chunk)
        out[key] = (joined, r.stats)


class ThreadTest(S.TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.a = self.path("a.wav")
        self.b = self.path("b.wav")
        S.write_pcm16_wav(self.a, array.array("h", (i % 4001 - 2000 for i in range(FRAMES * 3))), rate_hz=100)
        S.write_pcm16_wav(self.b, array.array("h", ((7 * i) % 30001 - 15000 for i in range(FRAMES * 3))),
                          rate_hz=100)

    def test_two_threads_two_files_match_sequential_reads(self):
        with klonos.open(self.a) as r:
            seq_a = r.read_all()
        with klonos.open(self.b) as r:
            seq_b = r.read_all()
        self.assertNotEqual(seq_a, seq_b)
        for chunk_frames in (512, 4096):
            with self.subTest(chunk_frames=chunk_frames):
                out = {}
                barrier = threading.Barrier(2)
                threads = [threading.Thread(target=_read_chunks, args=(p, out, k, barrier, chunk_frames))
                           for k, p in (("a", self.a), ("b", self.b))]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(60)
                self.assertEqual(set(out), {"a", "b"})
                self.assertEqual(out["a"][0], seq_a)
                self.assertEqual(out["b"][0], seq_b)
                self.assertEqual(out["a"][1]["frames_read"], FRAMES)
                self.assertEqual(out["b"][1]["frames_read"], FRAMES)

    def test_many_threads_many_readers(self):
        with klonos.open(self.a) as r:
            expected = r.read_all()
        out = {}
        barrier = threading.Barrier(8)
        threads = [threading.Thread(target=_read_chunks, args=(self.a, out, k, barrier, 1000)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(len(out), 8)
        for joined, _ in out.values():
            self.assertEqual(joined, expected)

    def test_closing_a_reader_another_thread_reads_is_safe(self):
        # The binding serialises calls on one handle: close() waits for a read
        # in progress, and later reads raise StateError instead of touching
        # freed memory.
        for _ in range(20):
            r = klonos.open(self.a)
            errors = []
            started = threading.Event()

            def reader():
                try:
                    started.set()
                    while len(r.read(256)):
                        pass
                except klonos.StateError:
                    errors.append("closed")

            t = threading.Thread(target=reader)
            t.start()
            started.wait()
            r.close()
            t.join(60)
            self.assertFalse(t.is_alive())
            self.assertTrue(r.closed)
            self.assertLessEqual(len(errors), 1)


if __name__ == "__main__":
    unittest.main()
