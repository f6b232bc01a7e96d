"""Reading recordings: :func:`open`, :class:`Reader`, :func:`info`.

Frames are interleaved float32: acceleration x, y, z in m/s^2, then (6-channel
recordings) angular rate x, y, z in rad/s, in the sensor frame. NaN frames
mark gaps and bad blocks (see ``Reader.stats``).

By default samples come back as ``array.array('f')`` holding
``frames * reader.channel_count`` values; with ``numpy=True`` as a float32
``numpy.ndarray`` of shape ``(frames, channel_count)``. Either way the C
library writes straight into the result's memory: there is no Python loop
per sample.
"""

import array
import ctypes
import numbers
import os
import threading
import warnings

from . import _types as T
from ._constants import (ACC_UNIT_NAMES, FORMAT_NAMES, FRAME_CHANNEL_NAMES, GAP_FILL_NAMES,
                         GYRO_UNIT_NAMES, NoticeKind, Status)
from ._lib import lib, text
from .errors import Error, InvalidArgumentError, RateError, StateError, error_for

#: Frames per chunk used by chunks() and info() unless told otherwise.
DEFAULT_CHUNK_FRAMES = 65536
# Largest single C read in read_all(): bounds the time one call holds the handle.
_MAX_FRAMES_PER_CALL = 1 << 20
_FLOAT_BYTES = ctypes.sizeof(ctypes.c_float)
_COLUMNS_CAPACITY = T.ReaderOptions.columns.size  # bytes, including the NUL


def format_name(code):
    """Short name of a klonos_format code ("cwa"), "unknown" otherwise."""
    return text(lib.klonos_format_name(int(code)))


def role_name(code):
    """Short name of a klonos_channel_role code ("acc_x"), "unknown" otherwise."""
    return text(lib.klonos_role_name(int(code)))


def units_name(code):
    """Short name of a klonos_units code ("g", "m/s^2"), "unknown" otherwise."""
    return text(lib.klonos_units_name(int(code)))


def _numpy():
    try:
        import numpy
    except ImportError as exc:
        raise ImportError("klonos: numpy=True needs numpy, which is not installed") from exc
    return numpy


def _enum_option(what, value, names):
    """A units/format option given as a name (see names) or an integer code."""
    if isinstance(value, str):
        try:
            return int(names[value.lower()])
        except KeyError:
            raise InvalidArgumentError(Status.E_INVAL, "%s: %r is not one of %s" % (
                what, value, ", ".join(sorted(names)))) from None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError("%s must be a name or an integer code, not %s" % (what, type(value).__name__))
    if not -2**31 <= value < 2**31:  # the C field is an int32_t: never let ctypes wrap it
        raise InvalidArgumentError(Status.E_INVAL, "%s: code %d is out of range" % (what, value))
    return int(value)


def _number_option(what, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("%s must be a number, not %s" % (what, type(value).__name__))
    return float(value)


def _columns_option(value):
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str):
        raise TypeError("columns must be a string or a list of names/1-based indices, not %s"
                        % type(value).__name__)
    raw = value.encode("utf-8")
    if b"\0" in raw:
        raise InvalidArgumentError(Status.E_INVAL, "columns: contains a NUL character")
    if len(raw) >= _COLUMNS_CAPACITY:
        raise InvalidArgumentError(Status.E_INVAL, "columns: list longer than %d bytes" % (_COLUMNS_CAPACITY - 1))
    return raw


def _make_options(*, units=None, gyro_units=None, rate=None, columns=None, full_scale=None,
                  max_gap=None, gap_fill=None, input_format=None):
    """A klonos_reader_options from the library's defaults, with the given values changed.

    None leaves the library's default. The reserved fields stay zero.
    """
    opt = T.ReaderOptions()
    lib.klonos_reader_options_default(ctypes.byref(opt))
    if input_format is not None:
        opt.format = _enum_option("input_format", input_format, FORMAT_NAMES)
    if units is not None:
        opt.units = _enum_option("units", units, ACC_UNIT_NAMES)
    if gyro_units is not None:
        opt.gyro_units = _enum_option("gyro_units", gyro_units, GYRO_UNIT_NAMES)
    if rate is not None:
        opt.rate_hz = _number_option("rate", rate)
        if opt.rate_hz == 0.0:  # the C API reads 0 as "the file's rate"; in Python that is None
            raise RateError(Status.E_RATE,
                            "option rate: 0 Hz is not a positive number (pass None for the file's rate)")
    if full_scale is not None:
        opt.full_scale_g = _number_option("full_scale", full_scale)
        if opt.full_scale_g == 0.0:  # likewise: 0 means "default" in C
            raise InvalidArgumentError(Status.E_INVAL,
                                       "option full_scale: 0 g is out of range (pass None for the default)")
    if max_gap is not None:
        opt.max_gap_s = _number_option("max_gap", max_gap)
    if columns is not None:
        opt.columns = _columns_option(columns)
    if gap_fill is not None:
        opt.gap_fill = _enum_option("gap_fill", gap_fill, GAP_FILL_NAMES)
    return opt


def _str_field(raw):
    return raw.decode("utf-8", "backslashreplace")


def _positive_or_none(x):
    return x if x > 0 else None


class Reader:
    """An open recording; use :func:`open` to make one.

    A context manager: ``with klonos.open(path) as r: ...`` closes the handle
    on exit; ``close()`` does the same and may be called more than once.
    Metadata attributes, ``stats`` and ``notices`` stay readable after close
    (they then describe the state at closing).

    One Reader must not be read from two threads at the same time; a lock
    serialises such use. Distinct Readers can be read in parallel: the GIL is
    released during every C call.
    """

    def __init__(self, path, **options):
        """Open ``path`` with ``options`` as for :func:`open` (which documents them)."""
        self._handle = None  # first, so that close()/__del__ work whatever happens next
        self._info = T.RecordingInfo()
        self._lock = threading.Lock()
        self._final_stats = None
        self._final_notices = None
        self.path = os.fsdecode(path)
        """The path as given (str)."""
        raw_path = os.fsencode(path)
        if b"\0" in raw_path:
            raise InvalidArgumentError(Status.E_INVAL, "%s: path contains a NUL byte" % self.path, self.path)
        try:
            opt = _make_options(**options)  # keyword arguments of open()
        except Error as exc:  # name the file, as the library's own messages do
            raise error_for(exc.code, "%s: %s" % (self.path, exc.message), self.path) from None
        handle = ctypes.POINTER(T.ReaderHandle)()
        rc = lib.klonos_reader_open(ctypes.byref(handle), raw_path, ctypes.byref(opt))
        if rc != Status.OK:
            message = text(lib.klonos_reader_error(handle)) if handle else ""
            lib.klonos_reader_close(ctypes.byref(handle))  # a handle comes back even on failure
            raise error_for(rc, message, self.path)
        self._handle = handle
        try:
            self._refresh_info()
        except BaseException:
            self._close(keep_results=False)
            raise

    # -- lifetime ---------------------------------------------------------

    def close(self):
        """Close the C handle (idempotent). Stats and notices are kept for later reading."""
        self._close(keep_results=True)

    def _close(self, keep_results):
        with self._lock:
            if not self._handle:
                return
            try:
                if keep_results:
                    self._final_stats = self._stats_locked()
                    self._final_notices = self._notices_locked()
                    lib.klonos_reader_info(self._handle, ctypes.byref(self._info))
            finally:
                lib.klonos_reader_close(ctypes.byref(self._handle))
                self._handle = None

    @property
    def closed(self):
        """True once close() has run."""
        return not self._handle

    def __enter__(self):
        self._check_open()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()
        return False

    def __del__(self):
        try:
            if self._handle:
                warnings.warn("klonos: unclosed reader for %r (use close() or a with block)" % self.path,
                              ResourceWarning, source=self, stacklevel=2)
                self._close(keep_results=False)
        except Exception:  # interpreter shutdown: modules may already be gone
            pass

    def __repr__(self):
        state = "closed" if self.closed else "open"
        return "<klonos.Reader %r %s, %d channels at %g Hz, %s>" % (
            self.path, self.format, self.channel_count, self.sample_rate_hz, state)

    def _check_open(self):
        if not self._handle:
            raise StateError(Status.E_STATE, "%s: the reader is closed" % self.path, self.path)

    def _raise_handle_error(self, rc):
        """Raise for status rc of a call on the (locked, open) handle."""
        raise error_for(rc, text(lib.klonos_reader_error(self._handle)), self.path)

    def _refresh_info(self):
        with self._lock:
            self._check_open()
            rc = lib.klonos_reader_info(self._handle, ctypes.byref(self._info))
            if rc != Status.OK:
                self._raise_handle_error(rc)

    # -- metadata ---------------------------------------------------------

    @property
    def format(self):
        """Format actually used: "sndfile", "omconvert-wav", "csv" or "cwa"."""
        return format_name(self._info.format)

    @property
    def format_detail(self):
        """Human-readable detail, e.g. "WAV (PCM_16)", "CWA AX3 packed"."""
        return _str_field(self._info.format_detail)

    @property
    def device(self):
        """Device description from the file, or None."""
        return _str_field(self._info.device) or None

    @property
    def channel_count(self):
        """Channels per output frame: 3 (acc) or 6 (acc + gyro)."""
        return self._info.channel_count

    @property
    def channels(self):
        """Names of the output channels in frame order, e.g. ("acc_x", "acc_y", "acc_z")."""
        return FRAME_CHANNEL_NAMES[:self._info.channel_count]

    @property
    def source_channel_count(self):
        """Channels (or columns) in the file."""
        return self._info.source_channel_count

    @property
    def source_channels(self):
        """Role of each channel/column in the file, e.g. ("time", "acc_x", "acc_y", "acc_z")."""
        n = min(self._info.source_channel_count, T.MAX_SOURCE_CHANNELS)
        return tuple(role_name(self._info.source_roles[i]) for i in range(n))

    @property
    def sample_rate_hz(self):
        """Rate of the output frames in Hz."""
        return self._info.sample_rate_hz

    @property
    def nominal_rate_hz(self):
        """Rate the file or device states in Hz, or None when unknown."""
        return _positive_or_none(self._info.nominal_rate_hz)

    @property
    def measured_rate_hz(self):
        """Rate measured from the file's timestamps in Hz, or None without timestamps."""
        return _positive_or_none(self._info.measured_rate_hz)

    @property
    def frame_count(self):
        """Output frames in the recording, or None when known only after reading to the end."""
        n = self._info.frame_count
        return n if n >= 0 else None

    @property
    def start_time(self):
        """First frame's time as "YYYY-MM-DDThh:mm:ss.sss" (device clock, no zone), or None."""
        return _str_field(self._info.start_time_iso) if self._info.has_start_time else None

    @property
    def start_time_unix_s(self):
        """First frame's time in seconds since 1970-01-01 (device clock), or None."""
        return self._info.start_time_unix_s if self._info.has_start_time else None

    @property
    def timestamped(self):
        """True when frames were placed on a uniform grid from the file's timestamps."""
        return bool(self._info.timestamped)

    @property
    def source_units(self):
        """Units of the stored acceleration: "g", "m/s^2" or "mg"."""
        return units_name(self._info.source_units)

    @property
    def full_scale_g(self):
        """Accelerometer full scale in g, or None when unknown."""
        return _positive_or_none(self._info.full_scale_g)

    @property
    def gyro_full_scale_dps(self):
        """Gyroscope full scale in deg/s, or None when unknown or no gyroscope."""
        return _positive_or_none(self._info.gyro_full_scale_dps)

    # -- counters ---------------------------------------------------------

    def _stats_locked(self):
        st = T.ReadStats()
        rc = lib.klonos_reader_stats(self._handle, ctypes.byref(st))
        if rc != Status.OK:
            self._raise_handle_error(rc)
        n = self._info.channel_count
        return {
            "frames_read": st.frames_read,
            "clipped": {FRAME_CHANNEL_NAMES[c]: st.clipped[c] for c in range(n)},
            "gap_count": st.gap_count,
            "gap_total_s": st.gap_total_s,
            "nan_frames": st.nan_frames,
            "bad_blocks": st.bad_blocks,
            "notice_count": st.notice_count,
        }

    def _notices_locked(self):
        out = []
        n = T.Notice()
        index = 0
        while True:
            rc = lib.klonos_reader_notice(self._handle, index, ctypes.byref(n))
            if rc == Status.E_RANGE:
                return out
            if rc != Status.OK:
                self._raise_handle_error(rc)
            try:
                kind = NoticeKind(n.kind).name.lower()
            except ValueError:
                kind = "unknown"
            out.append({"kind": kind, "frame": n.frame, "time_s": n.time_s,
                        "duration_s": n.duration_s, "message": _str_field(n.message)})
            index += 1

    @property
    def stats(self):
        """Counters so far (final after the last frame), as a dict.

        Keys: frames_read, clipped ({"acc_x": samples, ...} per output
        channel), gap_count, gap_total_s (seconds), nan_frames, bad_blocks,
        notice_count (all raised; only the first 256 are kept).
        """
        with self._lock:
            if self._handle:
                return self._stats_locked()
        if self._final_stats is None:
            self._closed_error()
        return _copy_stats(self._final_stats)

    @property
    def notices(self):
        """Kept notices (first 256) as dicts: kind ("gap", "bad_block", "clipped", "other"),
        frame (first output frame affected), time_s (from the first frame), duration_s, message."""
        with self._lock:
            if self._handle:
                return self._notices_locked()
        if self._final_notices is None:
            self._closed_error()
        return [dict(n) for n in self._final_notices]

    def _closed_error(self):
        raise StateError(Status.E_STATE, "%s: the reader is closed" % self.path, self.path)

    def info_dict(self):
        """The keys and values of ``klonos info --json`` for this reader.

        Counters ("frames", "duration_s", "clipped", gaps, "notices") describe
        what has been read so far, so the dict equals the CLI's once the reader
        has been read to the end (read_all(), chunks() exhausted). :func:`info`
        does the reading for you. Unknown values are None (JSON null).
        """
        st = self.stats
        notices = self.notices
        frames = st["frames_read"]
        return {
            "file": self.path,
            "ok": True,
            "format": self.format,
            "format_detail": self.format_detail,
            "device": self.device,
            "channel_count": self.channel_count,
            "channels": list(self.channels),
            "source_channels": list(self.source_channels),
            "sample_rate_hz": self.sample_rate_hz,
            "nominal_rate_hz": self.nominal_rate_hz,
            "measured_rate_hz": self.measured_rate_hz,
            "frames": frames,
            "duration_s": frames / self.sample_rate_hz,
            "start_time": self.start_time,
            "source_units": self.source_units,
            "full_scale_g": self.full_scale_g,
            "gyro_full_scale_dps": self.gyro_full_scale_dps,
            "clipped": st["clipped"],
            "gap_count": st["gap_count"],
            "gap_total_s": st["gap_total_s"],
            "nan_frames": st["nan_frames"],
            "bad_blocks": st["bad_blocks"],
            "notices": [n["message"] for n in notices],
            "notice_count": st["notice_count"],
        }

    # -- reading ----------------------------------------------------------

    def _read_into(self, buf, first_frame, max_frames):
        """Read up to max_frames frames into writable buffer buf starting at frame
        first_frame; return the number read (0 at the end)."""
        nch = self._info.channel_count
        offset = first_frame * nch * _FLOAT_BYTES
        if memoryview(buf).nbytes < offset + max_frames * nch * _FLOAT_BYTES:
            raise InvalidArgumentError(Status.E_INVAL, "internal: buffer too small")
        # One c_float placed at the offset gives the C function its float*
        # without making a ctypes array type per size.
        first = ctypes.c_float.from_buffer(buf, offset) if max_frames else ctypes.c_float()
        got = ctypes.c_size_t(0)
        with self._lock:
            self._check_open()
            rc = lib.klonos_reader_read_f32(self._handle, ctypes.byref(first), max_frames, ctypes.byref(got))
            if rc != Status.OK:
                del first
                self._raise_handle_error(rc)
        del first  # release the buffer export so buf may be resized
        if got.value == 0 and max_frames:
            self._refresh_info()  # the end: frame_count may only now be known
        return got.value

    def _new_buffer(self, frames, use_numpy):
        nch = self._info.channel_count
        if use_numpy:
            return _numpy().zeros((frames, nch), dtype="float32")
        return array.array("f", bytes(frames * nch * _FLOAT_BYTES))

    def _shrink(self, buf, frames, use_numpy):
        nch = self._info.channel_count
        if use_numpy:
            if buf.shape[0] != frames:
                buf.resize((frames, nch), refcheck=False)
        else:
            del buf[frames * nch:]
        return buf

    def _grow(self, buf, frames, use_numpy):
        nch = self._info.channel_count
        if use_numpy:
            buf.resize((frames, nch), refcheck=False)
        else:
            buf.frombytes(bytes((frames * nch - len(buf)) * _FLOAT_BYTES))
        return buf

    def read(self, max_frames=DEFAULT_CHUNK_FRAMES, *, numpy=False):
        """Read up to max_frames frames; an empty result means the end.

        Returns array.array('f') of frames * channel_count values (m/s^2, then
        rad/s), or with numpy=True a float32 ndarray of shape (frames, channel_count).
        """
        self._check_open()
        if isinstance(max_frames, bool) or not isinstance(max_frames, numbers.Integral):
            raise TypeError("max_frames must be an integer, not %s" % type(max_frames).__name__)
        max_frames = int(max_frames)
        if max_frames < 0:
            raise InvalidArgumentError(Status.E_INVAL, "max_frames %d is negative" % max_frames, self.path)
        buf = self._new_buffer(max_frames, numpy)
        got = self._read_into(buf, 0, max_frames) if max_frames else 0
        return self._shrink(buf, got, numpy)

    def chunks(self, frames=DEFAULT_CHUNK_FRAMES, *, numpy=False):
        """Iterate over the rest of the recording in chunks of up to ``frames`` frames.

        Each chunk is a new array, as from read(); the last may be shorter.
        """
        if isinstance(frames, bool) or not isinstance(frames, numbers.Integral) or frames <= 0:
            raise InvalidArgumentError(Status.E_INVAL, "chunks: frames must be a positive integer, not %r"
                                       % (frames,), self.path)
        self._check_open()
        return self._chunks(int(frames), numpy)

    def _chunks(self, frames, numpy):
        while True:
            chunk = self.read(frames, numpy=numpy)
            if len(chunk) == 0:
                return
            yield chunk

    def read_all(self, *, numpy=False):
        """Read the rest of the recording into one array (see read() for the layout)."""
        self._check_open()
        remaining = None
        if self.frame_count is not None:
            remaining = self.frame_count - self.stats["frames_read"]
        cap = remaining if remaining and remaining > 0 else DEFAULT_CHUNK_FRAMES
        buf = self._new_buffer(cap, numpy)
        filled = 0
        probe = None
        while True:
            if filled == cap:
                # Full: one small read tells the end (the usual case when
                # frame_count was exact) from more data (then grow and copy).
                if probe is None:
                    probe = self._new_buffer(4096, numpy)
                got = self._read_into(probe, 0, 4096)
                if got == 0:
                    break
                cap = max(cap * 2, filled + got)
                buf = self._grow(buf, cap, numpy)
                nch = self._info.channel_count
                if numpy:
                    buf[filled:filled + got] = probe[:got]
                else:
                    buf[filled * nch:(filled + got) * nch] = probe[:got * nch]
                filled += got
                continue
            got = self._read_into(buf, filled, min(cap - filled, _MAX_FRAMES_PER_CALL))
            if got == 0:
                break
            filled += got
        return self._shrink(buf, filled, numpy)

    def _read_to_end(self):
        """Read and discard the rest (counters become final)."""
        scratch = self._new_buffer(DEFAULT_CHUNK_FRAMES, False)
        while self._read_into(scratch, 0, DEFAULT_CHUNK_FRAMES):
            pass


def _copy_stats(stats):
    out = dict(stats)
    out["clipped"] = dict(stats["clipped"])
    return out


def open(path, *, units=None, gyro_units=None, rate=None, columns=None, full_scale=None,
         max_gap=None, gap_fill=None, input_format=None):
    """Open a recording and read its metadata; returns a :class:`Reader`.

    Every option defaults to None = the library's default (as ``klonos info``
    without flags).

    Args:
        path: str, bytes or os.PathLike; opened read-only.
        units: units of float/text acceleration: "g", "mps2" (or "m/s^2"),
            "mg", "auto" or a klonos.Units code. Default: the file's, else g.
        gyro_units: units of float/text angular rate: "dps" (or "deg/s"),
            "rads" (or "rad/s"), "auto". Default: the header's, else deg/s.
        rate: output sample rate in Hz; required for CSV without a time
            column; for timestamped files the rate of the output grid.
        columns: CSV columns "[t,]x,y,z[,gx,gy,gz]" by name or 1-based index,
            as a string or a list (["t", "ax", "ay", "az"] or [1, 2, 3]).
        full_scale: full scale of integer PCM in g when the file does not say
            (default 8 g).
        max_gap: timestamp gaps longer than this many seconds become NaN
            frames and are reported (default 1 s).
        gap_fill: how seconds the device did not record (ActiGraph idle
            sleep) are filled: "last", "zero", "nan", "default" or a
            klonos.GapFill code. Default: the format's convention (gt3x: last).
        input_format: "auto", "sndfile" (or "wav"), "csv", "cwa",
            "geneactiv", "gt3x", "edf" or a klonos.Format code. Default:
            detected from content.

    Raises:
        klonos.Error (a subclass per status code) with the library's message,
        TypeError for options of the wrong type.
    """
    return Reader(path, units=units, gyro_units=gyro_units, rate=rate, columns=columns,
                  full_scale=full_scale, max_gap=max_gap, gap_fill=gap_fill, input_format=input_format)


def info(path, **options):
    """What ``klonos info --json`` reports for ``path``, as a dict.

    Opens the file with ``options`` (as for :func:`open`), reads it to the end
    so that frames, clipping, gaps and bad blocks are counted, and returns
    ``Reader.info_dict()``. Raises klonos.Error where the CLI prints
    ``"ok": false``.
    """
    with Reader(path, **options) as reader:
        reader._read_to_end()
        return reader.info_dict()
