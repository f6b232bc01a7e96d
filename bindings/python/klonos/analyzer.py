"""Streaming analysis: :class:`Analyzer` (push frames, finish, get a Result).

    with klonos.Analyzer(rate=100, channels=3, placement="lower-back") as a:
        for chunk in source:           # any chunk size: results do not depend on it
            a.push(chunk)              # m/s^2 (then rad/s), see klonos._buffers
        result = a.finish()

Frames are acceleration x, y, z in m/s^2 (then angular rate in rad/s) in the
sensor frame; NaN frames are gaps. Float32 C-contiguous writable input is
read in place; anything else is converted once (no Python loop per sample).
"""

import ctypes
import numbers
import threading
import warnings

from . import _types as T
from ._buffers import as_frames, rate_argument
from ._constants import Status
from ._lib import lib, text
from .errors import InvalidArgumentError, StateError, error_for

# Frames per C call when pushing a large buffer: keeps Ctrl-C responsive
# (results do not depend on the chunking).
_PUSH_SLICE_FRAMES = 1 << 20
_PLACEMENT_CAPACITY = T.AnalyzerConfig.placement.size
_AXES_CAPACITY = T.AnalyzerConfig.axes.size
#: Sentinel calibration status meaning "calibration was not requested" (as the CLI's pipeline).
CALIBRATION_NOT_REQUESTED = 1


def _text_option(what, value, capacity):
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str):
        raise TypeError("%s must be a string, not %s" % (what, type(value).__name__))
    raw = value.encode("utf-8")
    if b"\0" in raw:
        raise InvalidArgumentError(Status.E_INVAL, "%s: contains a NUL character" % what)
    if len(raw) >= capacity:
        raise InvalidArgumentError(Status.E_INVAL, "%s: %r is longer than %d bytes" % (what, value, capacity - 1))
    return raw


def _seconds_option(what, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("%s must be a number of seconds, not %s" % (what, type(value).__name__))
    return float(value)


def _triple(what, value):
    try:
        items = [float(v) for v in value]
    except TypeError:
        raise TypeError("calibration %s must be 3 numbers" % what) from None
    if len(items) != 3:
        raise InvalidArgumentError(Status.E_INVAL, "calibration %s must hold 3 numbers, not %d" % (what, len(items)))
    return items


def calibration_struct(calibration):
    """A klonos_calibration from a dict as returned by klonos.calibrate()
    (offset_g and scale required; the error figures are optional)."""
    if not hasattr(calibration, "get"):
        raise TypeError("calibration must be a dict from klonos.calibrate(), not %s" % type(calibration).__name__)
    if calibration.get("applied") is False:
        raise InvalidArgumentError(Status.E_INVAL, "calibration: this calibration was refused (%s)"
                                   % calibration.get("reason", "no reason given"))
    c = T.Calibration()
    for k, v in enumerate(_triple("offset_g", calibration["offset_g"])):
        c.offset_g[k] = v
    for k, v in enumerate(_triple("scale", calibration["scale"])):
        c.scale[k] = v
    c.error_before_mg = float(calibration.get("error_before_mg", float("nan")))
    c.error_after_mg = float(calibration.get("error_after_mg", float("nan")))
    c.still_windows = int(calibration.get("still_windows", 0))
    c.iterations = int(calibration.get("iterations", 0))
    return c


def make_config(*, placement=None, axes=None, epoch=None, nonwear_window=None, analysis_rate=None,
                calibration=None):
    """A klonos_analyzer_config from the library's defaults with the given values changed.

    None keeps the default. ``calibration`` is a klonos_calibration (or dict
    from klonos.calibrate()) to apply to the acceleration first.
    """
    cfg = T.AnalyzerConfig()
    lib.klonos_analyzer_config_default(ctypes.byref(cfg))
    if placement is not None:
        cfg.placement = _text_option("placement", placement, _PLACEMENT_CAPACITY)
    if axes is not None:
        cfg.axes = _text_option("axes", axes, _AXES_CAPACITY)
    if epoch is not None:
        cfg.epoch_s = _seconds_option("epoch", epoch)
    if nonwear_window is not None:
        cfg.nonwear_window_s = _seconds_option("nonwear_window", nonwear_window)
    if analysis_rate is not None:
        cfg.analysis_rate_hz = rate_argument(analysis_rate, "analysis_rate")
    if calibration is not None:
        if not isinstance(calibration, T.Calibration):
            calibration = calibration_struct(calibration)
        cfg.apply_calibration = 1
        for k in range(3):
            cfg.calib_offset_g[k] = calibration.offset_g[k]
            cfg.calib_scale[k] = calibration.scale[k]
    return cfg


def config_dict(cfg):
    """The analyzer configuration as a dict (seconds, Hz, strings)."""
    out = {
        "analysis_rate_hz": cfg.analysis_rate_hz,
        "epoch_s": cfg.epoch_s,
        "nonwear_window_s": cfg.nonwear_window_s,
        "placement": cfg.placement.decode("utf-8", "backslashreplace"),
        "axes": cfg.axes.decode("utf-8", "backslashreplace") or None,
        "calibration": None,
    }
    if cfg.apply_calibration:
        out["calibration"] = {"offset_g": list(cfg.calib_offset_g), "scale": list(cfg.calib_scale)}
    return out


class Analyzer:
    """The streaming analysis of one recording (a C ``klonos_analyzer``).

    ``Analyzer(rate, channels=3, **config)``: ``rate`` is the input sample
    rate in Hz (10 Hz..100 kHz; input at another rate than the analysis rate
    is resampled), ``channels`` 3 (acc) or 6 (acc + gyro). Config keywords,
    None meaning the library's default:

        placement: "lower-back" (default), "chest", "wrist", "ankle".
        axes: body axis of sensor x, y, z, e.g. "V,ML,-AP" or ["V", "ML", "-AP"]
            (default: the placement's).
        epoch: activity-state epoch in s (default 2, 0.5..60).
        nonwear_window: non-wear window in s (default 3600).
        analysis_rate: internal rate in Hz (default 100).
        calibration: a dict from :func:`klonos.calibrate` to apply first; the
            report then shows it as applied.

    A context manager; ``close()`` frees the C handle and may be called
    repeatedly (also on a failed or unfinished analysis). One Analyzer may be
    used from several threads (a lock serialises the calls); distinct
    Analyzers run in parallel (the GIL is released during C calls).
    """

    def __init__(self, rate, channels=3, **config):
        self._handle = None  # first: close() and __del__ must work whatever happens next
        self._open(rate, channels, config)

    def _open(self, rate, channels, config, error_prefix="", path=None, report_calibration=None):
        """Open the C analyzer. error_prefix/path name the file in messages;
        report_calibration = (klonos_calibration or None, status) overrides
        what the report says about calibration (the file pipeline's pass)."""
        self._handle = None
        self._lock = threading.Lock()
        self._finished = False
        self._error_prefix = error_prefix
        self._path = path
        self.frames_pushed = 0
        """Frames pushed so far."""
        calibration = config.get("calibration")
        if report_calibration is not None:
            self._report_calibration, self._report_calibration_status = report_calibration
        elif calibration is not None:
            if not isinstance(calibration, T.Calibration):
                calibration = calibration_struct(calibration)
                config = dict(config, calibration=calibration)
            self._report_calibration, self._report_calibration_status = calibration, Status.OK
        else:
            self._report_calibration, self._report_calibration_status = None, CALIBRATION_NOT_REQUESTED
        rate = rate_argument(rate)
        if isinstance(channels, bool) or not isinstance(channels, numbers.Integral):
            raise TypeError("channels must be an integer, not %s" % type(channels).__name__)
        cfg = make_config(**config)
        handle = ctypes.POINTER(T.AnalyzerHandle)()
        rc = lib.klonos_analyzer_open(ctypes.byref(handle), rate, int(channels), ctypes.byref(cfg))
        if rc != Status.OK:
            message = text(lib.klonos_analyzer_error(handle)) if handle else ""
            lib.klonos_analyzer_close(ctypes.byref(handle))  # a handle may come back carrying the message
            raise error_for(rc, error_prefix + message if message else None, path)
        self._handle = handle
        self.sample_rate_hz = rate
        """Input sample rate in Hz."""
        self.channels = int(channels)
        """Values per input frame (3 or 6)."""
        self.config = config_dict(cfg)
        """The configuration in use, as a dict (defaults filled in)."""

    # -- lifetime -----------------------------------------------------------

    def close(self):
        """Free the C handle (idempotent). Results already returned stay valid."""
        with self._lock:
            if self._handle:
                lib.klonos_analyzer_close(ctypes.byref(self._handle))
                self._handle = None

    @property
    def closed(self):
        """True once close() has run."""
        return not self._handle

    @property
    def finished(self):
        """True once finish() has succeeded."""
        return self._finished

    def __enter__(self):
        self._check_open()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()
        return False

    def __del__(self):
        try:
            if self._handle:
                warnings.warn("klonos: unclosed Analyzer (use close() or a with block)", ResourceWarning,
                              source=self, stacklevel=2)
                lib.klonos_analyzer_close(ctypes.byref(self._handle))
                self._handle = None
        except Exception:  # interpreter shutdown
            pass

    def __repr__(self):
        state = "closed" if self.closed else ("finished" if self._finished else "open")
        return "<klonos.Analyzer %g Hz, %d channels, %d frames, %s>" % (
            getattr(self, "sample_rate_hz", 0.0), getattr(self, "channels", 0), self.frames_pushed, state)

    def _check_open(self):
        if not self._handle:
            raise StateError(Status.E_STATE, self._error_prefix + "the analyzer is closed", self._path)

    def _raise(self, rc):
        """Raise for status rc of a call on the (locked, open) handle."""
        message = text(lib.klonos_analyzer_error(self._handle))
        raise error_for(rc, self._error_prefix + message if message else None, self._path)

    # -- frames -------------------------------------------------------------

    def push(self, samples):
        """Analyse more frames; returns how many were pushed.

        ``samples``: float32/float64 buffer (array.array, memoryview, numpy
        array) of shape (frames, channels) or flat interleaved, in m/s^2 (and
        rad/s); NaN frames are gaps. Raises SampleValueError for infinite or
        absurd values (|x| > 1e6), StateError after finish() or close().
        """
        frames = as_frames(samples, self.channels)
        self.push_frames(frames)
        return frames.frames

    def push_frames(self, frames):
        """Push a klonos._buffers.Frames (internal; see push())."""
        done = 0
        while True:
            n = min(frames.frames - done, _PUSH_SLICE_FRAMES)
            with self._lock:
                self._check_open()
                if self._finished:
                    # Refused here: the C library would record the misuse as
                    # the handle's error and then refuse to give the results.
                    raise StateError(Status.E_STATE, self._error_prefix + "push after finish", self._path)
                rc = lib.klonos_analyzer_push_f32(self._handle, frames.offset(done) if n else None, n)
                if rc != Status.OK:
                    self._raise(rc)
                self.frames_pushed += n
            done += n
            if done >= frames.frames:
                return

    # -- results ------------------------------------------------------------

    def finish(self, *, events=False, bouts=False, score_epoch=None):
        """Flush the analysis and return its :class:`klonos.Result`.

        ``events`` / ``bouts`` add the report's optional arrays to
        ``Result.json`` (the Result's attributes always hold them);
        ``score_epoch`` is the per-epoch score window in s (default 60).
        After finish() pushes raise StateError; finish() may be called again
        (with other report options).
        """
        return self._result(events=events, bouts=bouts, score_epoch=score_epoch)

    def _result(self, *, events, bouts, score_epoch, file=None, info=None, stats=None):
        from .result import Result  # result.py imports this module
        with self._lock:
            self._check_open()
            rc = lib.klonos_analyzer_finish(self._handle)
            if rc != Status.OK:
                self._raise(rc)
            self._finished = True
            return Result._from_handle(self, self._handle, file=file, info=info, stats=stats,
                                       calibration=self._report_calibration,
                                       calibration_status=self._report_calibration_status,
                                       events=events, bouts=bouts, score_epoch=score_epoch)

    def _epochs(self, epoch_s):
        """Epoch scores of a finished, open analyzer (for Result.epochs())."""
        from .result import read_epochs
        with self._lock:
            self._check_open()
            return read_epochs(self._handle, epoch_s, self._raise)
