"""ctypes mirrors of the public C structs in include/klonos/reader.h.

Each class lists the C fields in the same order, with the same types, fixed
array lengths and reserved tails, so that ``ctypes.sizeof`` and every field
offset equal the C compiler's (tests/python/test_layout.py checks this against
a helper compiled from the real header).

This module imports nothing but ctypes: the layout test loads it on its own,
without loading the shared library.
"""

import ctypes

#: Most source channels a recording may describe (KLONOS_MAX_SOURCE_CHANNELS).
MAX_SOURCE_CHANNELS = 16
#: Most channels in an output frame: acc x,y,z then gyro x,y,z (KLONOS_MAX_FRAME_CHANNELS).
MAX_FRAME_CHANNELS = 6

_c_int32 = ctypes.c_int32
_c_int64 = ctypes.c_int64
_c_double = ctypes.c_double
_c_char = ctypes.c_char
_c_uint8 = ctypes.c_uint8


class ReaderOptions(ctypes.Structure):
    """struct klonos_reader_options. Fill with klonos_reader_options_default() first."""

    _fields_ = [
        ("format", _c_int32),          # klonos_format
        ("units", _c_int32),           # klonos_units (acceleration)
        ("gyro_units", _c_int32),      # klonos_units (angular rate)
        ("reserved_i", _c_int32),      # must be 0
        ("rate_hz", _c_double),        # 0 = the file's rate
        ("full_scale_g", _c_double),   # 0 = 8 g
        ("max_gap_s", _c_double),      # default 1.0
        ("columns", _c_char * 128),    # "" = auto; NUL-terminated
        ("gap_fill", _c_int32),        # klonos_gap_fill (gt3x idle-sleep gaps)
        ("reserved", _c_uint8 * 60),   # must be zero
    ]


class RecordingInfo(ctypes.Structure):
    """struct klonos_recording_info: metadata of an open recording."""

    _fields_ = [
        ("format", _c_int32),
        ("channel_count", _c_int32),
        ("source_channel_count", _c_int32),
        ("source_units", _c_int32),
        ("source_roles", _c_int32 * MAX_SOURCE_CHANNELS),
        ("sample_rate_hz", _c_double),
        ("nominal_rate_hz", _c_double),
        ("measured_rate_hz", _c_double),
        ("frame_count", _c_int64),
        ("has_start_time", _c_int32),
        ("timestamped", _c_int32),
        ("start_time_unix_s", _c_double),
        ("start_time_iso", _c_char * 40),
        ("full_scale_g", _c_double),
        ("gyro_full_scale_dps", _c_double),
        ("format_detail", _c_char * 64),
        ("device", _c_char * 96),
        ("reserved", _c_uint8 * 64),
    ]


class ReadStats(ctypes.Structure):
    """struct klonos_read_stats: counters that grow while reading."""

    _fields_ = [
        ("frames_read", _c_int64),
        ("clipped", _c_int64 * MAX_FRAME_CHANNELS),
        ("gap_count", _c_int64),
        ("gap_total_s", _c_double),
        ("nan_frames", _c_int64),
        ("bad_blocks", _c_int64),
        ("notice_count", _c_int64),
        ("reserved", _c_uint8 * 64),
    ]


class Notice(ctypes.Structure):
    """struct klonos_notice: one non-fatal finding raised while reading."""

    _fields_ = [
        ("kind", _c_int32),
        ("reserved_i", _c_int32),
        ("frame", _c_int64),
        ("time_s", _c_double),
        ("duration_s", _c_double),
        ("message", _c_char * 160),
    ]


class ReaderHandle(ctypes.Structure):
    """Opaque struct klonos_reader; only ever used through a pointer."""

    _fields_ = []


#: C struct name -> ctypes mirror; the layout test iterates over this.
MIRRORED_STRUCTS = {
    "klonos_reader_options": ReaderOptions,
    "klonos_recording_info": RecordingInfo,
    "klonos_read_stats": ReadStats,
    "klonos_notice": Notice,
}
