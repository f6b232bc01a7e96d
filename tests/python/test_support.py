"""Shared helpers for the Python binding tests (no tests here).

Inputs are written with the standard library only: ``wave`` for 16-bit PCM,
hand-built RIFF chunks for float WAV and omconvert's INFO metadata.

Environment (set by tests/python/meson.build):
    KLONOS_LIBRARY        the built libklonos.so (the binding loads it)
    KLONOS_CLI            the built klonos executable
    KLONOS_REAL_DATA      directory of real recordings
    KLONOS_LAYOUT_HELPER  program printing C struct sizes/offsets (test_layout)
"""

import array
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import wave

import klonos

G = klonos.STANDARD_GRAVITY_MPS2
CLI = os.environ.get("KLONOS_CLI")


def f32(x):
    """x rounded to float32, as the library delivers it."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def pcm16_to_mps2(code, full_scale_g=8.0):
    """m/s^2 of an int16 code at a full scale of full_scale_g: code/32768 * fs * 9.80665."""
    return code / 32768.0 * full_scale_g * G


def write_pcm16_wav(path, frames, rate_hz=100, channels=3):
    """Write int16 frames (an iterable of tuples, or a flat array('h')) as a PCM WAV."""
    if isinstance(frames, array.array):
        data = frames
    else:
        data = array.array("h", [v for frame in frames for v in frame])
    if sys.byteorder != "little":
        data = array.array("h", data)
        data.byteswap()
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate_hz)
        w.writeframes(data.tobytes())


def _chunk(tag, payload):
    pad = b"\0" if len(payload) % 2 else b""
    return tag + struct.pack("<I", len(payload)) + payload + pad


def write_riff_wav(path, fmt_tag, bits, channels, rate_hz, data, extra_chunks=b""):
    """A RIFF/WAVE file from raw sample bytes (fmt_tag 1 = PCM, 3 = IEEE float)."""
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate_hz, rate_hz * block, block, bits)
    body = b"WAVE" + _chunk(b"fmt ", fmt) + extra_chunks + _chunk(b"data", data)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def write_float_wav(path, frames, rate_hz=100, channels=3):
    """Write float frames (iterable of tuples) as a 32-bit IEEE-float WAV."""
    data = struct.pack("<%df" % (len(frames) * channels), *[v for fr in frames for v in fr])
    write_riff_wav(path, 3, 32, channels, rate_hz, data)


def write_omconvert_wav(path, frames, rate_hz=100, start="2023-01-02 03:04:05.250",
                        device="Id: 12345&Device: AX3", scale_g=8):
    """A 4-channel int16 WAV with omconvert's LIST/INFO metadata (x, y, z, aux word)."""
    def info_str(tag, s):
        return _chunk(tag, s.encode("ascii") + b"\0")
    comment = "Time: %s\nChannel-1: Accel-X\nScale-1: %g\nScale-2: %g\nScale-3: %g\nScale-4: 1" % (
        start, scale_g, scale_g, scale_g)
    info = b"INFO" + info_str(b"ICRD", start) + info_str(b"IART", device) + \
        info_str(b"INAM", "Session: 1&Rate-A: %d" % rate_hz) + info_str(b"ICMT", comment)
    data = array.array("h", [v for fr in frames for v in fr])
    if sys.byteorder != "little":
        data.byteswap()
    write_riff_wav(path, 1, 16, 4, rate_hz, data.tobytes(), _chunk(b"LIST", info))


def cli_info(path, *args):
    """`klonos info --json [args] path` parsed (one JSON object)."""
    proc = subprocess.run([CLI, "info", "--json", *args, path], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)
    lines = proc.stdout.decode("utf-8").splitlines()
    if len(lines) != 1:
        raise AssertionError("klonos info printed %r (stderr %r)" % (proc.stdout, proc.stderr))
    return json.loads(lines[0])


def close_enough(a, b, rel=1e-6, abs_tol=1e-6):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)


class TempDirTestCase(unittest.TestCase):
    """A fresh temporary directory per test in self.tmp; self.path(name) joins it."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="klonos-py-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def assertFramesClose(self, got, expected_flat, msg=None):
        self.assertEqual(len(got), len(expected_flat), msg)
        for i, (a, b) in enumerate(zip(got, expected_flat)):
            if not close_enough(a, b):
                self.fail("%svalue %d: got %r, expected %r" % (msg + ": " if msg else "", i, a, b))


def requires_cli(test):
    return unittest.skipUnless(CLI and os.path.exists(CLI), "KLONOS_CLI not set (run through meson test)")(test)


def skip_if_stub(testcase, exc, what):
    """Skip when the library's format reader is still the temporary scaffolding
    (it fails every open with the message "todo")."""
    if isinstance(exc, klonos.FormatError) and exc.message.endswith(": todo"):
        testcase.skipTest("%s reader not implemented in this library build yet (%s)" % (what, exc.message))


# -- analysis helpers (test_analyze*, test_streaming, test_synth, ...) -----------

DEMO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "demo.flac")

# klonos.analyze() keyword -> `klonos analyze` flag (flags without a value: True).
CLI_FLAGS = {
    "calibrate": "--calibrate", "events": "--events", "bouts": "--bouts", "placement": "--placement",
    "axes": "--axes", "epoch": "--epoch", "nonwear_window": "--nonwear-window", "score_epoch": "--score-epoch",
    "units": "--units", "gyro_units": "--gyro-units", "rate": "--rate", "columns": "--columns",
    "full_scale": "--full-scale", "max_gap": "--max-gap", "gap_fill": "--gaps", "input_format": "--input-format",
}


def cli_args(options):
    """CLI arguments for analyze() keyword options (see CLI_FLAGS)."""
    args = []
    for key, value in options.items():
        if value is True:
            args.append(CLI_FLAGS[key])
        elif value not in (False, None):
            args += [CLI_FLAGS[key], str(value)]
    return args


def cli_run(*args, cwd=None):
    """Run the CLI; returns (returncode, stdout text, stderr text)."""
    proc = subprocess.run([CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, check=False)
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")


def cli_analyze(path, options=None, cwd=None):
    """`klonos analyze --format json [options] path` parsed (one JSON object)."""
    code, out, err = cli_run("analyze", "--format", "json", "--jobs", "1", *cli_args(options or {}), "--", path,
                             cwd=cwd)
    lines = out.splitlines()
    if len(lines) != 1:
        raise AssertionError("klonos analyze printed %r (stderr %r)" % (out, err))
    return json.loads(lines[0])


_HELP_CACHE = {}


def cli_supports(command, flag):
    """True when `klonos COMMAND --help` mentions FLAG (options other engineers may be adding)."""
    key = (command, flag)
    if key not in _HELP_CACHE:
        _HELP_CACHE[key] = CLI is not None and flag in cli_run(command, "--help")[1]
    return _HELP_CACHE[key]


def calibration_frames(rate_hz=50, seconds_per_pose=15, offset_g=(0.02, -0.03, 0.01), scale=(1.01, 0.98, 1.02)):
    """Interleaved m/s^2 frames holding still in 26 orientations, distorted by a
    known offset/scale (corrected = (raw + offset) * scale): something the
    autocalibration can fit. Returns array('f')."""
    import itertools
    import random
    rng = random.Random(1)
    out = array.array("f")
    for v in itertools.product((-1, 0, 1), repeat=3):
        if not any(v):
            continue
        norm = math.sqrt(sum(c * c for c in v))
        for _ in range(rate_hz * seconds_per_pose):
            out.extend([((v[k] / norm + rng.gauss(0, 0.002)) / scale[k] - offset_g[k]) * G for k in range(3)])
    return out


def numpy_or_none():
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def cli_json(command, path, options=None):
    """`klonos COMMAND --format json [options] path` parsed (events, sway, gait)."""
    code, out, err = cli_run(command, "--format", "json", *cli_args(options or {}), "--", path)
    lines = out.splitlines()
    if len(lines) != 1:
        raise AssertionError("klonos %s printed %r (stderr %r)" % (command, out, err))
    return json.loads(lines[0])
