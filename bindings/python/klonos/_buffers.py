"""Turning caller-supplied samples into float32 frames the C library can read.

Accepted: any object with the buffer protocol holding float32 or float64
values (array.array('f'/'d'), memoryview, bytes-like views, numpy arrays),
either 2-D of shape (frames, channels) or flat interleaved frames with the
channel count given separately. Values are acceleration in m/s^2 (then
angular rate in rad/s), as klonos.Reader delivers them.

Already float32, native byte order, C-contiguous and writable: the C library
reads the caller's memory directly (no copy). Anything else is converted
once, in C (numpy ``ascontiguousarray``, ``memoryview.cast``/``tobytes``,
``array.array`` construction): never a Python loop per sample.
"""

import array
import ctypes
import numbers
import sys

from ._constants import Status
from .errors import ChannelError

_FLOAT_P = ctypes.POINTER(ctypes.c_float)
_NATIVE = "<" if sys.byteorder == "little" else ">"
# struct-syntax byte-order prefixes: (native?) for each
_ORDER_PREFIX = {"@": True, "=": True, "<": _NATIVE == "<", ">": _NATIVE == ">", "!": _NATIVE == ">"}


class Frames:
    """Float32 frames ready for a C call.

    Attributes:
        pointer: a ``float *`` (ctypes) to the first value, or None when empty.
        frames: number of frames.
        channels: values per frame.
        copied: False when ``pointer`` points into the caller's own memory.
    Keep this object alive for as long as ``pointer`` is used.
    """

    __slots__ = ("pointer", "frames", "channels", "copied", "_keep")

    def __init__(self, keep, pointer, frames, channels, copied):
        self._keep = keep
        self.pointer = pointer if frames else None
        self.frames = frames
        self.channels = channels
        self.copied = copied

    def offset(self, first_frame):
        """A ``float *`` to frame ``first_frame`` (for pushing in slices)."""
        if not first_frame:
            return self.pointer
        address = ctypes.cast(self.pointer, ctypes.c_void_p).value
        return ctypes.cast(address + first_frame * self.channels * 4, _FLOAT_P)


def _numpy_module(obj):
    """numpy when obj is an ndarray (without importing numpy for other objects)."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(obj, np.ndarray):
        return np
    return None


def _channel_count(shape, channels, what):
    """Channels per frame from a 1-D or 2-D shape and the channels= argument."""
    if len(shape) == 2:
        if channels is not None and channels != shape[1]:
            raise ChannelError(Status.E_CHANNELS, "%s has %d columns but channels=%d" % (what, shape[1], channels))
        return shape[1]
    if len(shape) == 1:
        return 3 if channels is None else channels
    raise ChannelError(Status.E_CHANNELS, "%s must be 1-D (interleaved frames) or 2-D (frames, channels), not %d-D"
                       % (what, len(shape)))


def _check_channels(channels):
    """A usable divisor; whether the count suits the analysis is the library's call (3 or 6)."""
    if isinstance(channels, bool) or not isinstance(channels, numbers.Integral):
        raise TypeError("channels must be an integer, not %s" % type(channels).__name__)
    if channels < 1:
        raise ChannelError(Status.E_CHANNELS, "channels=%d: a frame holds at least one value" % channels)


def _frames_from_numpy(np, arr, channels, what):
    if arr.dtype.kind != "f":
        raise TypeError("%s: expected float32 or float64 values in m/s^2, not dtype %s" % (what, arr.dtype))
    nch = _channel_count(arr.shape, channels, what)
    _check_channels(nch)
    f32 = np.ascontiguousarray(arr, dtype=np.float32)  # the same object when already fine
    copied = f32 is not arr and not np.shares_memory(f32, arr)
    count = f32.size
    if count % nch:
        raise ChannelError(Status.E_CHANNELS, "%s: %d values are not a whole number of %d-channel frames"
                           % (what, count, nch))
    return Frames(f32, f32.ctypes.data_as(_FLOAT_P), count // nch, nch, copied)


def _split_format(fmt):
    """(native byte order?, type code) of a struct-syntax buffer format."""
    native = True
    if fmt and fmt[0] in _ORDER_PREFIX:
        native = _ORDER_PREFIX[fmt[0]]
        fmt = fmt[1:]
    return native, fmt


def as_frames(data, channels=None, what="samples"):
    """A :class:`Frames` view of ``data`` (see the module docstring).

    Raises TypeError for objects without the buffer protocol or with
    non-float values, ChannelError for a shape that does not make 3- or
    6-channel frames.
    """
    if channels is not None:
        _check_channels(channels)
    np = _numpy_module(data)
    if np is not None:
        return _frames_from_numpy(np, data, channels, what)
    try:
        mv = memoryview(data)
    except TypeError:
        raise TypeError("%s must support the buffer protocol (array.array('f'), numpy array, memoryview), "
                        "not %s" % (what, type(data).__name__)) from None
    native, code = _split_format(mv.format)
    if code not in ("f", "d"):
        raise TypeError("%s: expected float32 ('f') or float64 ('d') values in m/s^2, not format %r"
                        % (what, mv.format))
    nch = _channel_count(mv.shape, channels, what)
    _check_channels(nch)
    count = mv.nbytes // mv.itemsize
    if count % nch:
        raise ChannelError(Status.E_CHANNELS, "%s: %d values are not a whole number of %d-channel frames"
                           % (what, count, nch))
    frames = count // nch
    if code == "f" and native and mv.c_contiguous and not mv.readonly:
        if not frames:
            return Frames(mv, None, 0, nch, False)
        # Zero copy: a float placed at the start of the caller's buffer.
        first = ctypes.c_float.from_buffer(mv)
        return Frames((mv, first), ctypes.pointer(first), frames, nch, False)
    # One conversion: to contiguous bytes (a view when already contiguous),
    # into an array of the same type, byte-swapped if needed, then to float32.
    raw = mv.cast("B") if mv.c_contiguous else mv.tobytes()
    values = array.array(code)
    values.frombytes(raw)
    if not native:
        values.byteswap()
    if code == "d":
        values = array.array("f", values)
    return from_array(values, nch, copied=True)


def from_array(values, channels, copied=False):
    """Frames over an array.array('f') of interleaved values (no copy)."""
    frames = len(values) // channels
    if not frames:
        return Frames(values, None, 0, channels, copied)
    first = ctypes.c_float.from_buffer(values)
    return Frames((values, first), ctypes.pointer(first), frames, channels, copied)


def rate_argument(rate, what="rate"):
    """A sample rate argument in Hz as a float (the library checks the range)."""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
        raise TypeError("%s must be a number of Hz, not %s" % (what, type(rate).__name__))
    return float(rate)


