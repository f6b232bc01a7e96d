"""Exceptions raised for klonos status codes.

Every failure of a C call raises a subclass of :class:`Error` chosen by the
status code. Three also derive from the builtin a Python programmer would
catch for the same situation:

======================  ====================  ==========================
status                  exception             also a
======================  ====================  ==========================
KLONOS_E_INVAL          InvalidArgumentError  ValueError
KLONOS_E_NOMEM          OutOfMemoryError      MemoryError
KLONOS_E_IO             FileError             OSError
KLONOS_E_FORMAT         FormatError
KLONOS_E_CORRUPT        CorruptError
KLONOS_E_CHANNELS       ChannelError
KLONOS_E_RATE           RateError
KLONOS_E_VALUE          SampleValueError
KLONOS_E_TIME           TimestampError
KLONOS_E_EMPTY          EmptyRecordingError
KLONOS_E_STATE          StateError
KLONOS_E_NOT_ENABLED    NotEnabledError
KLONOS_E_NODATA         NoDataError
KLONOS_E_RANGE          RangeError            IndexError
(unknown code)          Error
======================  ====================  ==========================

``FileError`` sets ``filename`` (as OSError does) but not ``errno``: the C API
reports the cause only in the message.
"""

from ._constants import Status
from ._lib import lib, text


def strerror(code):
    """A sentence describing status ``code`` (also for unknown values)."""
    return text(lib.klonos_strerror(int(code)))


def status_name(code):
    """The symbolic name of status ``code``, e.g. "KLONOS_E_IO", or "KLONOS_E_UNKNOWN"."""
    return text(lib.klonos_status_name(int(code)))


class Error(Exception):
    """A klonos call failed.

    Attributes:
        code: the klonos_status (negative int).
        name: its symbolic name, e.g. "KLONOS_E_IO".
        message: the library's detailed message ("FILE: where: what" for reader
            errors), or the generic sentence of the code when there is none.
        path: the file concerned, or None.
    """

    def __init__(self, code, message=None, path=None):
        self.code = int(code)
        self.name = status_name(self.code)
        self.message = message if message else strerror(self.code)
        self.path = path
        super().__init__(self.message)

    def __str__(self):
        return self.message

    def __repr__(self):
        return "%s(%s, %r)" % (type(self).__name__, self.name, self.message)

    def __reduce__(self):
        return (type(self), (self.code, self.message, self.path))


class InvalidArgumentError(Error, ValueError):
    """KLONOS_E_INVAL: an argument or option is out of range."""


class OutOfMemoryError(Error, MemoryError):
    """KLONOS_E_NOMEM: memory allocation failed."""


class FileError(Error, OSError):
    """KLONOS_E_IO: file missing, unreadable, a directory, or a read failed."""

    def __init__(self, code, message=None, path=None):
        super().__init__(code, message, path)
        self.filename = path


class FormatError(Error):
    """KLONOS_E_FORMAT: file format not recognised or not supported."""


class CorruptError(Error):
    """KLONOS_E_CORRUPT: broken header, truncated file, frame count lies."""


class ChannelError(Error):
    """KLONOS_E_CHANNELS: wrong channel or column count, or unknown column."""


class RateError(Error):
    """KLONOS_E_RATE: sample rate missing, zero, negative or absurd (> 100 kHz)."""


class SampleValueError(Error):
    """KLONOS_E_VALUE: a sample is non-numeric, NaN or infinite."""


class TimestampError(Error):
    """KLONOS_E_TIME: timestamps non-monotonic, duplicated or unparsable."""


class EmptyRecordingError(Error):
    """KLONOS_E_EMPTY: the file or recording holds no frames."""


class StateError(Error):
    """KLONOS_E_STATE: call out of order (e.g. on a closed reader, or after a failed open)."""


class NotEnabledError(Error):
    """KLONOS_E_NOT_ENABLED: a result of an analysis that was not enabled."""


class NoDataError(Error):
    """KLONOS_E_NODATA: not enough data to compute the result."""


class RangeError(Error, IndexError):
    """KLONOS_E_RANGE: index out of range."""


ERROR_CLASSES = {
    Status.E_INVAL: InvalidArgumentError,
    Status.E_NOMEM: OutOfMemoryError,
    Status.E_IO: FileError,
    Status.E_FORMAT: FormatError,
    Status.E_CORRUPT: CorruptError,
    Status.E_CHANNELS: ChannelError,
    Status.E_RATE: RateError,
    Status.E_VALUE: SampleValueError,
    Status.E_TIME: TimestampError,
    Status.E_EMPTY: EmptyRecordingError,
    Status.E_STATE: StateError,
    Status.E_NOT_ENABLED: NotEnabledError,
    Status.E_NODATA: NoDataError,
    Status.E_RANGE: RangeError,
}


def error_for(code, message=None, path=None):
    """The exception instance for status ``code`` (``Error`` for unknown codes)."""
    return ERROR_CLASSES.get(int(code), Error)(code, message, path)
