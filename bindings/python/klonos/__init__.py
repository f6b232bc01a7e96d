"""klonos: myoclonus and ataxia from body-worn accelerometers (ctypes binding of libklonos).

Pure Python over the C library's stable ABI; nothing beyond the standard
library is needed (numpy arrays are accepted, and returned when asked for
with ``numpy=True``).

    import klonos
    result = klonos.analyze("subject01.cwa", calibrate=True)   # as `klonos analyze`
    print(result.scores, len(result.events), result.sway)
    report = result.to_dict()                                  # == the CLI's --format json

    with klonos.open("wrist.cwa") as r:                        # reading frames
        for chunk in r.chunks(frames=65536):                   # array('f'), m/s^2 interleaved
            ...

    with klonos.Analyzer(rate=100) as a:                       # streaming analysis
        for chunk in source:
            a.push(chunk)
        result = a.finish()

    samples, truth = klonos.synth(scenario="stance-jerks", duration=120)

Importing loads libklonos (see ``klonos._lib`` for where it looks; set
``KLONOS_LIBRARY`` to a full path to choose one) and raises ImportError when
it is missing or older than this binding.

Units: acceleration in m/s^2 (g x 9.80665), angular rate in rad/s, times and
durations in seconds, rates in Hz.
"""

from ._constants import (FRAME_CHANNEL_NAMES, STANDARD_GRAVITY_MPS2, Format, GapFill, NoticeKind, Role,
                         Status, Units)
from ._lib import EXPECTED_MAJOR, EXPECTED_MINOR, lib as _c, library_path, text as _text
from .errors import (ChannelError, CorruptError, EmptyRecordingError, Error, FileError, FormatError,
                     InvalidArgumentError, NoDataError, NotEnabledError, OutOfMemoryError, RangeError,
                     RateError, SampleValueError, StateError, TimestampError, error_for, status_name,
                     strerror)
from .reader import DEFAULT_CHUNK_FRAMES, Reader, format_name, info, open, role_name, units_name
from ._constants import State
from .analyzer import Analyzer
from .result import Result, state_name
from .pipeline import analyze, calibrate, events, gait, sway
from .synth import derived_params as synth_params, scenarios as synth_scenarios, synth

#: Version of this binding (the C API version it was written for).
__version__ = "%d.%d.0" % (EXPECTED_MAJOR, EXPECTED_MINOR)


def version():
    """The loaded library's version as "MAJOR.MINOR.PATCH"."""
    return _text(_c.klonos_version())


def version_number():
    """The loaded library's version as MAJOR*10000 + MINOR*100 + PATCH."""
    return _c.klonos_version_number()


__all__ = [
    # library
    "version", "version_number", "library_path", "__version__",
    # status codes and errors
    "Status", "strerror", "status_name", "error_for",
    "Error", "InvalidArgumentError", "OutOfMemoryError", "FileError", "FormatError", "CorruptError",
    "ChannelError", "RateError", "SampleValueError", "TimestampError", "EmptyRecordingError",
    "StateError", "NotEnabledError", "NoDataError", "RangeError",
    # reader
    "open", "info", "Reader", "DEFAULT_CHUNK_FRAMES",
    "Format", "Units", "Role", "GapFill", "NoticeKind", "format_name", "role_name", "units_name",
    "FRAME_CHANNEL_NAMES", "STANDARD_GRAVITY_MPS2",
    # analysis
    "analyze", "events", "sway", "gait", "calibrate", "Analyzer", "Result", "State", "state_name",
    # synthetic recordings
    "synth", "synth_params", "synth_scenarios",
]
