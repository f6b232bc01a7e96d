#!/usr/bin/env python3
"""A straightforward numpy/scipy version of klonos's core pipeline, for the
performance comparison in tools/bench/bench_perf: load the whole recording
(float32 WAV through the standard library), band-pass 1-20 Hz, norm-jerk
with a robust (median/MAD) threshold and transient counting, Welch PSD of
the 3.5 Hz zero-phase low-passed horizontal signal, and the unbiased
autocorrelation of the vertical signal in 10-minute windows. This is what a
typical analysis script does: it holds the whole recording in memory.
Run with Debian's /usr/bin/python3 (python3-scipy). Prints one summary line."""
import struct
import sys

import numpy as np
from scipy import signal


def read_float_wav(path):
    """Minimal RIFF/WAVE float32 reader (no external packages)."""
    with open(path, "rb") as f:
        data = f.read()
    pos, fmt, rate, ch = 12, None, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        if cid == b"fmt ":
            fmt, ch, rate = struct.unpack_from("<HHI", data, body)
        elif cid == b"data":
            x = np.frombuffer(data, dtype="<f4", count=size // 4, offset=body)
            return rate, x.reshape(-1, ch).astype(np.float64) * 9.80665
        pos = body + size + (size & 1)
    raise SystemExit(f"{path}: no data chunk")


def main():
    rate, acc = read_float_wav(sys.argv[1])
    sos_bp = signal.butter(2, [1.0, 20.0], "bandpass", fs=rate, output="sos")
    bp = signal.sosfilt(sos_bp, acc, axis=0)
    jerk = np.linalg.norm(np.diff(bp, axis=0), axis=1) * rate
    med = np.median(jerk)
    mad = np.median(np.abs(jerk - med)) * 1.4826
    above = jerk > med + 8 * mad
    events = int(np.count_nonzero(above[1:] & ~above[:-1]))
    sos_lp = signal.butter(4, 3.5, "lowpass", fs=rate, output="sos")
    hor = signal.sosfiltfilt(sos_lp, acc[:, 1:3], axis=0)
    f, pxx = signal.welch(hor, fs=rate, nperseg=int(10 * rate), axis=0)
    band = (f >= 0.15) & (f <= 5)
    centroid = float(np.sqrt(np.sum(f[band] ** 2 * pxx[band].sum(1)) / np.sum(pxx[band].sum(1))))
    v = acc[:, 0] - acc[:, 0].mean()
    win = int(600 * rate)
    regs = []
    for s in range(0, len(v) - win + 1, win):
        x = v[s:s + win] - v[s:s + win].mean()
        n = len(x)
        spec = np.fft.rfft(x, 2 * n)
        ac = np.fft.irfft(spec * np.conj(spec))[: int(1.2 * rate) + 1]
        ac = ac / (n - np.arange(len(ac))) / (ac[0] / n)
        regs.append(float(ac[int(0.25 * rate):].max()))
    print(f"{len(acc)} frames, {events} transients, centroid {centroid:.3f} Hz, {len(regs)} windows")


if __name__ == "__main__":
    main()
