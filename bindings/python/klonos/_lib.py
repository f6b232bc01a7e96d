"""Finding and loading libklonos, checking its version, declaring C signatures.

Search order (the first library that loads and is new enough wins):

1. ``$KLONOS_LIBRARY``: a full path to the shared library. When set, it is
   the only place tried, so a wrong value fails loudly instead of silently
   loading another copy.
2. The package's own directory (``klonos/libklonos.so.0``), for wheels or
   bundles that ship the library next to the Python files.
3. The system search path: ``libklonos.so.0`` through the dynamic loader
   (``LD_LIBRARY_PATH``, ld.so.cache), then ``ctypes.util.find_library('klonos')``.
4. The library directory recorded when meson installed the package
   (``_install_config.LIBDIR``), for prefixes the loader does not search.

Every C function the binding uses is declared in ``_FUNCTIONS`` (name,
restype, argtypes) exactly as in the headers; later APIs add rows there.
"""

import ctypes
import ctypes.util
import os
import sys

from . import _types as T

#: Major and minor version of the C API this binding was written for. The
#: library must have the same major and at least this minor.
EXPECTED_MAJOR = 0
EXPECTED_MINOR = 1

_P = ctypes.POINTER
_int = ctypes.c_int
_str = ctypes.c_char_p
_size = ctypes.c_size_t
_double = ctypes.c_double

# (name, restype, argtypes) for every C function used, in header order.
_FUNCTIONS = [
    # version.h
    ("klonos_version", _str, []),
    ("klonos_version_number", _int, []),
    # status.h
    ("klonos_strerror", _str, [_int]),
    ("klonos_status_name", _str, [_int]),
    # reader.h
    ("klonos_reader_options_default", None, [_P(T.ReaderOptions)]),
    ("klonos_reader_open", _int, [_P(_P(T.ReaderHandle)), _str, _P(T.ReaderOptions)]),
    ("klonos_reader_close", None, [_P(_P(T.ReaderHandle))]),
    ("klonos_reader_info", _int, [_P(T.ReaderHandle), _P(T.RecordingInfo)]),
    ("klonos_reader_read_f32", _int, [_P(T.ReaderHandle), _P(ctypes.c_float), _size, _P(_size)]),
    ("klonos_reader_stats", _int, [_P(T.ReaderHandle), _P(T.ReadStats)]),
    ("klonos_reader_notice", _int, [_P(T.ReaderHandle), _size, _P(T.Notice)]),
    ("klonos_reader_error", _str, [_P(T.ReaderHandle)]),
    ("klonos_format_name", _str, [_int]),
    ("klonos_role_name", _str, [_int]),
    ("klonos_units_name", _str, [_int]),
    # analyzer.h
    ("klonos_analyzer_config_default", None, [_P(T.AnalyzerConfig)]),
    ("klonos_analyzer_open", _int, [_P(_P(T.AnalyzerHandle)), _double, _int, _P(T.AnalyzerConfig)]),
    ("klonos_analyzer_close", None, [_P(_P(T.AnalyzerHandle))]),
    ("klonos_analyzer_push_f32", _int, [_P(T.AnalyzerHandle), _P(ctypes.c_float), _size]),
    ("klonos_analyzer_finish", _int, [_P(T.AnalyzerHandle)]),
    ("klonos_analyzer_bout_count", _int, [_P(T.AnalyzerHandle), _P(_size)]),
    ("klonos_analyzer_bout_get", _int, [_P(T.AnalyzerHandle), _size, _P(T.Bout)]),
    ("klonos_analyzer_state_seconds", _int, [_P(T.AnalyzerHandle), _int, _P(_double)]),
    ("klonos_analyzer_duration_s", _int, [_P(T.AnalyzerHandle), _P(_double)]),
    ("klonos_analyzer_event_count", _int, [_P(T.AnalyzerHandle), _P(_size)]),
    ("klonos_analyzer_event_get", _int, [_P(T.AnalyzerHandle), _size, _P(T.JerkEvent)]),
    ("klonos_analyzer_cluster_count", _int, [_P(T.AnalyzerHandle), _P(_size)]),
    ("klonos_analyzer_cluster_get", _int, [_P(T.AnalyzerHandle), _size, _P(T.JerkCluster)]),
    ("klonos_analyzer_tremor_count", _int, [_P(T.AnalyzerHandle), _P(_size)]),
    ("klonos_analyzer_tremor_get", _int, [_P(T.AnalyzerHandle), _size, _P(T.TremorEpisode)]),
    ("klonos_analyzer_sway_count", _int, [_P(T.AnalyzerHandle), _P(_size)]),
    ("klonos_analyzer_sway_get", _int, [_P(T.AnalyzerHandle), _size, _P(T.SwayMetrics)]),
    ("klonos_analyzer_sway_summary", _int, [_P(T.AnalyzerHandle), _P(T.SwayMetrics)]),
    ("klonos_analyzer_gait_count", _int, [_P(T.AnalyzerHandle), _P(_size)]),
    ("klonos_analyzer_gait_get", _int, [_P(T.AnalyzerHandle), _size, _P(T.GaitMetrics)]),
    ("klonos_analyzer_gait_summary", _int, [_P(T.AnalyzerHandle), _P(T.GaitMetrics)]),
    ("klonos_analyzer_scores", _int, [_P(T.AnalyzerHandle), _P(T.Scores)]),
    ("klonos_analyzer_fall_count", _int, [_P(T.AnalyzerHandle), _P(_size)]),
    ("klonos_analyzer_fall_get", _int, [_P(T.AnalyzerHandle), _size, _P(T.FallEvent)]),
    ("klonos_analyzer_function", _int, [_P(T.AnalyzerHandle), _P(T.Function)]),
    ("klonos_analyzer_epoch_count", _int, [_P(T.AnalyzerHandle), _double, _P(_size)]),
    ("klonos_analyzer_epoch_get", _int, [_P(T.AnalyzerHandle), _double, _size, _P(T.EpochScores)]),
    ("klonos_analyzer_report_json", _int, [_P(T.AnalyzerHandle), _P(T.ReportContext), ctypes.c_void_p, _size,
                                           _P(_size)]),
    ("klonos_analyzer_error", _str, [_P(T.AnalyzerHandle)]),
    ("klonos_state_name", _str, [_int]),
    ("klonos_calibrator_open", _int, [_P(_P(T.CalibratorHandle)), _double, _int]),
    ("klonos_calibrator_close", None, [_P(_P(T.CalibratorHandle))]),
    ("klonos_calibrator_push_f32", _int, [_P(T.CalibratorHandle), _P(ctypes.c_float), _size]),
    ("klonos_calibrator_fit", _int, [_P(T.CalibratorHandle), _P(T.Calibration)]),
    # synth.h
    ("klonos_synth_config_default", None, [_P(T.SynthConfig)]),
    ("klonos_synth_params_derive", _int, [_P(T.SynthConfig), _P(T.SynthParams)]),
    ("klonos_synth_open", _int, [_P(_P(T.SynthHandle)), _P(T.SynthConfig), _P(T.SynthParams)]),
    ("klonos_synth_close", None, [_P(_P(T.SynthHandle))]),
    ("klonos_synth_error", _str, [_P(T.SynthHandle)]),
    ("klonos_synth_get_config", _int, [_P(T.SynthHandle), _P(T.SynthConfig)]),
    ("klonos_synth_get_params", _int, [_P(T.SynthHandle), _P(T.SynthParams)]),
    ("klonos_synth_frame_count", _int, [_P(T.SynthHandle), _P(ctypes.c_int64)]),
    ("klonos_synth_rotation_matrix", _int, [_P(T.SynthHandle), _P(_double)]),
    ("klonos_synth_render", _int, [_P(T.SynthHandle), _P(ctypes.c_float), _size, _P(_size)]),
    ("klonos_synth_truth_count", _int, [_P(T.SynthHandle), _P(_size)]),
    ("klonos_synth_truth_get", _int, [_P(T.SynthHandle), _size, _P(T.SynthTruth)]),
    ("klonos_synth_clipped_count", _int, [_P(T.SynthHandle), _P(ctypes.c_int64)]),
    ("klonos_synth_file_options_default", None, [_P(T.SynthFileOptions)]),
    ("klonos_synth_write_files", _int, [_P(T.SynthConfig), _P(T.SynthParams), _str, _str, _P(T.SynthFileOptions),
                                        _P(T.SynthFileInfo), ctypes.c_char_p, _size]),
    ("klonos_synth_scenario_from_name", _int, [_str, _P(ctypes.c_int32)]),
    ("klonos_synth_scenario_name", _str, [_int]),
    ("klonos_synth_scenario_description", _str, [_int]),
    ("klonos_synth_state_name", _str, [_int]),
    ("klonos_synth_truth_kind_name", _str, [_int]),
    ("klonos_synth_jerk_shape_name", _str, [_int]),
    ("klonos_synth_lying_name", _str, [_int]),
]


def _library_file_names():
    """File names of the shared library for this platform, most specific first."""
    if sys.platform == "darwin":
        return ["libklonos.%d.dylib" % EXPECTED_MAJOR, "libklonos.dylib"]
    if os.name == "nt":
        return ["klonos-%d.dll" % EXPECTED_MAJOR, "klonos.dll", "libklonos-%d.dll" % EXPECTED_MAJOR]
    return ["libklonos.so.%d" % EXPECTED_MAJOR]


def _candidates():
    """Yield (description, path-or-name) pairs in search order."""
    env = os.environ.get("KLONOS_LIBRARY")
    if env:
        yield ("$KLONOS_LIBRARY", env)
        return
    here = os.path.dirname(os.path.abspath(__file__))
    for name in _library_file_names():
        yield ("package directory", os.path.join(here, name))
    for name in _library_file_names():
        yield ("system search path", name)
    found = ctypes.util.find_library("klonos")
    if found:
        yield ("ctypes.util.find_library", found)
    try:
        from . import _install_config  # generated by meson at install time
    except ImportError:
        return
    for name in _library_file_names():
        yield ("install libdir", os.path.join(_install_config.LIBDIR, name))


def _split_version(number):
    return number // 10000, number // 100 % 100, number % 100


def _version_problem(cdll):
    """None when cdll is a klonos library this binding can use, else why not."""
    try:
        fn = cdll.klonos_version_number
    except AttributeError:
        return "has no klonos_version_number(): not a klonos library"
    fn.restype = _int
    fn.argtypes = []
    major, minor, patch = _split_version(fn())
    if major != EXPECTED_MAJOR or minor < EXPECTED_MINOR:
        return "is version %d.%d.%d; this binding needs %d.x with x >= %d" % (
            major, minor, patch, EXPECTED_MAJOR, EXPECTED_MINOR)
    return None


def _declare(cdll):
    for name, restype, argtypes in _FUNCTIONS:
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            raise ImportError("klonos: the library lacks %s(); it does not match this binding" % name)
        fn.restype = restype
        fn.argtypes = argtypes


def load():
    """Load and check the library. Returns (CDLL, where it was found); raises ImportError."""
    tried = []
    for where, path in _candidates():
        is_path = os.sep in path or (os.altsep and os.altsep in path)
        if is_path and not os.path.exists(path):
            tried.append("%s: %s (no such file)" % (where, path))
            continue
        try:
            cdll = ctypes.CDLL(path)
        except OSError as exc:
            tried.append("%s: %s (%s)" % (where, path, exc))
            continue
        problem = _version_problem(cdll)
        if problem:
            tried.append("%s: %s %s" % (where, path, problem))
            continue
        _declare(cdll)
        return cdll, path
    raise ImportError(
        "klonos: cannot load the C library libklonos (need version %d.%d or a later %d.x). Looked in:\n  %s\n"
        "Set KLONOS_LIBRARY to the full path of libklonos.so.%d, or install klonos where the dynamic loader finds it."
        % (EXPECTED_MAJOR, EXPECTED_MINOR, EXPECTED_MAJOR, "\n  ".join(tried), EXPECTED_MAJOR))


lib, library_path = load()


def text(raw):
    """Decode a C string returned by the library (UTF-8, undecodable bytes escaped)."""
    if raw is None:
        return ""
    return raw.decode("utf-8", "backslashreplace")
