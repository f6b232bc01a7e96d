"""One call from a recording (file or samples) to its results: :func:`analyze`,
:func:`events`, :func:`sway`, :func:`gait`, :func:`calibrate`.

For a file, :func:`analyze` runs the pipeline of ``klonos analyze``: open the
recording (reader options as for :func:`klonos.open`), optionally a first
pass for autocalibration, then the analyzer over every frame, then the
report with the same context (file, recording info, read counters,
calibration), so ``analyze(path, ...).to_dict()`` equals
``json.loads(klonos analyze --format json ... path)``.
"""

import array
import ctypes
import os

from . import _types as T
from ._buffers import Frames, as_frames, from_array, rate_argument
from ._constants import Status
from ._lib import lib, text
from .analyzer import CALIBRATION_NOT_REQUESTED, Analyzer
from .errors import error_for
from .reader import Reader

#: Frames per read in the file pipeline (as the CLI's).
CHUNK_FRAMES = 65536


def _is_path(source):
    return isinstance(source, (str, bytes, os.PathLike))


def _path_text(source):
    """The path as given, as str (the report's "file")."""
    return os.fsdecode(source)


# -- calibration ----------------------------------------------------------------


class _Calibrator:
    """A C klonos_calibrator (internal; use klonos.calibrate())."""

    def __init__(self, rate, channels, error_prefix="", path=None):
        self._handle = ctypes.POINTER(T.CalibratorHandle)()
        rc = lib.klonos_calibrator_open(ctypes.byref(self._handle), rate_argument(rate), int(channels))
        if rc != Status.OK:
            self.close()
            raise error_for(rc, "%scannot calibrate %g Hz %d-channel frames: %s"
                            % (error_prefix, rate, channels, text(lib.klonos_strerror(rc))), path)
        self._prefix = error_prefix
        self._path = path

    def push(self, pointer, frames):
        rc = lib.klonos_calibrator_push_f32(self._handle, pointer, frames)
        if rc != Status.OK:
            raise error_for(rc, "%scalibration: %s" % (self._prefix, text(lib.klonos_strerror(rc))), self._path)

    def fit(self):
        """(status, klonos_calibration): status KLONOS_OK or why not (result.why)."""
        result = T.Calibration()
        rc = lib.klonos_calibrator_fit(self._handle, ctypes.byref(result))
        return rc, result

    def close(self):
        lib.klonos_calibrator_close(ctypes.byref(self._handle))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _read_loop(reader, consume):
    """Read the whole recording in CHUNK_FRAMES chunks into one reused
    buffer; consume(Frames) each chunk (no copy)."""
    nch = reader.channel_count
    buf = array.array("f", bytes(CHUNK_FRAMES * nch * 4))
    whole = from_array(buf, nch)
    while True:
        got = reader._read_into(buf, 0, CHUNK_FRAMES)
        if not got:
            return
        consume(Frames(whole, whole.pointer, got, nch, False))


def _calibrate_reader(reader, rate, channels, path):
    """Every frame of an open reader into a calibrator: (status, klonos_calibration)."""
    shown = _path_text(path)
    with _Calibrator(rate, channels, shown + ": ", shown) as cal:
        _read_loop(reader, lambda fr: cal.push(fr.pointer, fr.frames))
        return cal.fit()


def _calibration_pass(path, reader_options, info):
    """The CLI's first pass: a second reader over the file into a calibrator."""
    with Reader(path, **reader_options) as reader:
        return _calibrate_reader(reader, info.sample_rate_hz, info.channel_count, path)


def _calibration_of_frames(frames, rate):
    with _Calibrator(rate, frames.channels) as cal:
        if frames.frames:
            cal.push(frames.pointer, frames.frames)
        return cal.fit()


def calibration_result(status, calibration, path=None):
    """The dict klonos.calibrate() returns, or NoDataError (etc.) with the library's reason."""
    if status != Status.OK:
        why = calibration.why.decode("utf-8", "backslashreplace")
        raise error_for(status, why or None, path)
    return {
        "offset_g": list(calibration.offset_g),
        "scale": list(calibration.scale),
        "error_before_mg": calibration.error_before_mg,
        "error_after_mg": calibration.error_after_mg,
        "still_windows": calibration.still_windows,
        "iterations": calibration.iterations,
    }


def calibrate(source, *, rate=None, channels=None, **reader_options):
    """Autocalibration (van Hees et al. 2014) from still periods of a recording.

    ``source`` is a path (opened with ``rate`` and ``reader_options`` as for
    :func:`klonos.open`) or samples in m/s^2 (then ``rate`` in Hz is required;
    ``channels`` for flat buffers, default 3). Returns {"offset_g": [x, y, z]
    in g, "scale": [x, y, z], "error_before_mg", "error_after_mg" (mean
    | |a| - 1 g | over still windows, mg), "still_windows", "iterations"};
    corrected = (raw + offset_g) * scale. Pass the dict to
    ``klonos.Analyzer(calibration=...)`` to apply it.

    Raises:
        NoDataError: calibration refused (too few still windows, orientations
            not covering the sphere); the message is the library's reason.
    """
    if _is_path(source):
        if channels is not None:
            raise TypeError("channels= is for in-memory samples, not for a file")
        with Reader(source, rate=rate, **reader_options) as reader:
            status, cal = _calibrate_reader(reader, reader.sample_rate_hz, reader.channel_count, source)
        return calibration_result(status, cal, _path_text(source))
    if reader_options:
        raise TypeError("reader options (%s) apply to files, not to samples" % ", ".join(sorted(reader_options)))
    if rate is None:
        raise TypeError("calibrate(samples) needs rate= (Hz)")
    frames = as_frames(source, channels)
    status, cal = _calibration_of_frames(frames, rate_argument(rate))
    return calibration_result(status, cal)


# -- analysis ---------------------------------------------------------------------


def _analyze_file(path, rate, calibrate, config, report, reader_options):
    shown = _path_text(path)
    with Reader(path, rate=rate, **reader_options) as reader:
        info = T.RecordingInfo.from_buffer_copy(reader._info)  # as the CLI: at open
        calibration = (None, CALIBRATION_NOT_REQUESTED)
        if calibrate:
            status, cal = _calibration_pass(path, dict(reader_options, rate=rate), info)
            calibration = (cal, status)
            if status == Status.OK:
                config = dict(config, calibration=cal)
        analyzer = Analyzer.__new__(Analyzer)
        analyzer._open(info.sample_rate_hz, info.channel_count, config, error_prefix=shown + ": ", path=shown,
                       report_calibration=calibration)
        with analyzer:
            _read_loop(reader, analyzer.push_frames)
            stats = T.ReadStats()
            with reader._lock:
                rc = lib.klonos_reader_stats(reader._handle, ctypes.byref(stats))
                if rc != Status.OK:
                    reader._raise_handle_error(rc)
            return analyzer._result(file=shown, info=info, stats=stats, **report)


def _analyze_samples(samples, rate, channels, calibrate, config, report):
    if rate is None:
        raise TypeError("analyze(samples) needs rate= (the sample rate in Hz)")
    rate = rate_argument(rate)
    frames = as_frames(samples, channels)
    calibration = None
    if calibrate:
        status, cal = _calibration_of_frames(frames, rate)
        calibration = (cal, status)
        if status == Status.OK:
            config = dict(config, calibration=cal)
    analyzer = Analyzer.__new__(Analyzer)
    analyzer._open(rate, frames.channels, config, report_calibration=calibration)
    with analyzer:
        analyzer.push_frames(frames)
        return analyzer._result(**report)


def analyze(source, *, rate=None, channels=None, calibrate=False, placement=None, axes=None, epoch=None,
            nonwear_window=None, score_epoch=None, events=False, bouts=False, **reader_options):
    """Analyse a recording: jerks (myoclonus), sway, gait, activity states, scores.

    Args:
        source: a path (str, bytes, os.PathLike) or samples: a float32/float64
            buffer (array.array, memoryview, numpy array) of shape (frames,
            3|6) or flat interleaved, acceleration in m/s^2 (then rad/s).
        rate: samples: their rate in Hz (required). Files: the reader's
            ``rate`` option (CSV without a time column, output grid).
        channels: samples only: values per frame of a flat buffer (default 3).
        calibrate: autocalibrate from still periods first (one extra pass;
            the report says whether it was applied and why not).
        placement, axes, epoch, nonwear_window: analyzer options as
            ``klonos analyze --placement/--axes/--epoch/--nonwear-window``
            (see klonos.Analyzer).
        score_epoch: per-epoch score window in s (default 60).
        events: add "events", "clusters", "tremor" to the JSON report
            (``--events``). The Result's attributes hold them regardless.
        bouts: add "bouts", "sway_bouts", "gait_bouts" to the JSON report.
        **reader_options: files only: units, gyro_units, columns, full_scale,
            max_gap, gap_fill, input_format, as for :func:`klonos.open`.

    Returns:
        a :class:`klonos.Result` (a snapshot: the C analyzer is closed before
        returning). For a file ``Result.to_dict()`` equals the CLI's JSON for
        the same options; for samples "file" and "recording.format" are null
        and the reader's counters (gaps, bad blocks, clipping) are null.

    Raises:
        klonos.Error subclasses with the library's code and message
        (RateError, InvalidArgumentError for bad options, FileError, ...).
    """
    config = {"placement": placement, "axes": axes, "epoch": epoch, "nonwear_window": nonwear_window}
    report = {"events": events, "bouts": bouts, "score_epoch": score_epoch}
    from .result import score_epoch_argument
    score_epoch_argument(score_epoch)  # refuse a bad value before reading anything
    if _is_path(source):
        if channels is not None:
            raise TypeError("channels= is for in-memory samples, not for a file")
        return _analyze_file(source, rate, calibrate, config, report, reader_options)
    if reader_options:
        raise TypeError("reader options (%s) apply to files, not to samples" % ", ".join(sorted(reader_options)))
    return _analyze_samples(source, rate, channels, calibrate, config, report)


def events(source, **options):
    """The jerks of a recording: ``analyze(source, **options).events``.

    A list of dicts: onset_s, offset_s, peak_acc_mps2, peak_jerk_mps3,
    direction (AP, ML, V unit vector), state, confidence (0..1), cluster
    (id or None).
    """
    return analyze(source, **options).events


def sway(source, **options):
    """Sway of a recording: ``(summary, bouts)`` = ``(result.sway, result.sway_bouts)``.

    summary is None when no quiet-upright bout of 10 s or more was found.
    """
    r = analyze(source, **options)
    return r.sway, r.sway_bouts


def gait(source, **options):
    """Gait of a recording: ``(summary, bouts)`` = ``(result.gait, result.gait_bouts)``.

    summary is None when no walking bout of at least 6 steps and 5 s was found.
    """
    r = analyze(source, **options)
    return r.gait, r.gait_bouts


