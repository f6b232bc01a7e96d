"""Library-level API: version, status codes, errors, names, loading the library."""

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import unittest

import klonos
from klonos import _lib

import test_support as S

# The binding's package directory (where the loader looks second).
PACKAGE_DIR = os.path.dirname(klonos.__file__)


def _run_python(code, env_changes, cwd=None):
    """Run code in a fresh interpreter with env changes (None value = unset)."""
    env = dict(os.environ)
    for k, v in env_changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)


class VersionTest(unittest.TestCase):
    def test_version_string_and_number_agree(self):
        major, minor, patch = (int(x) for x in klonos.version().split("."))
        self.assertEqual(klonos.version_number(), major * 10000 + minor * 100 + patch)

    def test_library_is_new_enough(self):
        n = klonos.version_number()
        self.assertEqual(n // 10000, _lib.EXPECTED_MAJOR)
        self.assertGreaterEqual(n // 100 % 100, _lib.EXPECTED_MINOR)
        self.assertTrue(klonos.__version__.startswith("%d.%d." % (_lib.EXPECTED_MAJOR, _lib.EXPECTED_MINOR)))

    def test_library_path_is_the_one_asked_for(self):
        wanted = os.environ.get("KLONOS_LIBRARY")
        if not wanted:
            self.skipTest("KLONOS_LIBRARY not set")
        self.assertEqual(klonos.library_path, wanted)


class StatusTest(unittest.TestCase):
    def test_every_status_has_its_name_and_a_sentence(self):
        for status in klonos.Status:
            self.assertEqual(klonos.status_name(status), "KLONOS_" + status.name)
            text = klonos.strerror(status)
            self.assertIsInstance(text, str)
            self.assertTrue(text)
        self.assertEqual(klonos.strerror(0), "success")

    def test_unknown_codes(self):
        self.assertEqual(klonos.status_name(-999), "KLONOS_E_UNKNOWN")
        self.assertEqual(klonos.strerror(12345), "unknown error code")
        err = klonos.error_for(-999, "x: odd")
        self.assertIs(type(err), klonos.Error)
        self.assertEqual((err.code, err.name, err.message), (-999, "KLONOS_E_UNKNOWN", "x: odd"))


class ErrorClassTest(unittest.TestCase):
    EXPECTED = {
        klonos.Status.E_INVAL: (klonos.InvalidArgumentError, ValueError),
        klonos.Status.E_NOMEM: (klonos.OutOfMemoryError, MemoryError),
        klonos.Status.E_IO: (klonos.FileError, OSError),
        klonos.Status.E_FORMAT: (klonos.FormatError, None),
        klonos.Status.E_CORRUPT: (klonos.CorruptError, None),
        klonos.Status.E_CHANNELS: (klonos.ChannelError, None),
        klonos.Status.E_RATE: (klonos.RateError, None),
        klonos.Status.E_VALUE: (klonos.SampleValueError, None),
        klonos.Status.E_TIME: (klonos.TimestampError, None),
        klonos.Status.E_EMPTY: (klonos.EmptyRecordingError, None),
        klonos.Status.E_STATE: (klonos.StateError, None),
        klonos.Status.E_NOT_ENABLED: (klonos.NotEnabledError, None),
        klonos.Status.E_NODATA: (klonos.NoDataError, None),
        klonos.Status.E_RANGE: (klonos.RangeError, IndexError),
    }

    def test_each_code_maps_to_its_class(self):
        self.assertEqual(set(self.EXPECTED), set(klonos.Status) - {klonos.Status.OK})
        for code, (cls, builtin) in self.EXPECTED.items():
            err = klonos.error_for(code, "f.wav: detail", "f.wav")
            self.assertIs(type(err), cls)
            self.assertIsInstance(err, klonos.Error)
            if builtin:
                self.assertIsInstance(err, builtin)
            self.assertEqual(err.code, int(code))
            self.assertEqual(err.name, "KLONOS_" + code.name)
            self.assertEqual(err.message, "f.wav: detail")
            self.assertEqual(str(err), "f.wav: detail")
            self.assertEqual(err.path, "f.wav")

    def test_message_defaults_to_strerror(self):
        err = klonos.error_for(klonos.Status.E_CORRUPT)
        self.assertEqual(err.message, klonos.strerror(klonos.Status.E_CORRUPT))
        self.assertIsNone(err.path)

    def test_file_error_behaves_as_oserror(self):
        err = klonos.error_for(klonos.Status.E_IO, "a.wav: cannot open: No such file", "a.wav")
        self.assertEqual(err.filename, "a.wav")
        self.assertEqual(str(err), "a.wav: cannot open: No such file")
        with self.assertRaises(OSError):
            raise err

    def test_errors_pickle(self):
        for code, (cls, _) in self.EXPECTED.items():
            err = pickle.loads(pickle.dumps(klonos.error_for(code, "m", "p")))
            self.assertIs(type(err), cls)
            self.assertEqual((err.code, err.message, err.path), (int(code), "m", "p"))


class NamesTest(unittest.TestCase):
    def test_format_names(self):
        self.assertEqual([klonos.format_name(f) for f in klonos.Format],
                         ["auto", "sndfile", "omconvert-wav", "csv", "cwa", "geneactiv", "gt3x", "edf"])
        self.assertEqual(klonos.format_name(77), "unknown")

    def test_role_names(self):
        self.assertEqual([klonos.role_name(r) for r in klonos.Role],
                         ["ignored", "acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z", "time", "aux"])
        self.assertEqual(klonos.role_name(-1), "unknown")

    def test_units_names(self):
        self.assertEqual([klonos.units_name(u) for u in klonos.Units],
                         ["auto", "g", "m/s^2", "mg", "deg/s", "rad/s"])
        self.assertEqual(klonos.units_name(4), "unknown")

    def test_constants(self):
        self.assertEqual(klonos.STANDARD_GRAVITY_MPS2, 9.80665)
        self.assertEqual(klonos.FRAME_CHANNEL_NAMES, ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"))
        for name in klonos.__all__:
            self.assertTrue(hasattr(klonos, name), name)


class FakeVersionLib:
    """Stands in for a CDLL exposing only klonos_version_number()."""

    def __init__(self, number):
        def klonos_version_number():
            return number
        self.klonos_version_number = klonos_version_number


class LoadingTest(unittest.TestCase):
    """The search order and the ImportError messages (each in a fresh interpreter)."""

    def setUp(self):
        self.built = os.environ.get("KLONOS_LIBRARY")
        if not self.built:
            self.skipTest("KLONOS_LIBRARY not set (run through meson test)")

    def test_version_check(self):
        base = _lib.EXPECTED_MAJOR * 10000
        self.assertIsNone(_lib._version_problem(FakeVersionLib(base + _lib.EXPECTED_MINOR * 100)))
        self.assertIsNone(_lib._version_problem(FakeVersionLib(base + 99 * 100 + 3)))
        if _lib.EXPECTED_MINOR > 0:
            old = _lib._version_problem(FakeVersionLib(_lib.EXPECTED_MAJOR * 10000 + (_lib.EXPECTED_MINOR - 1) * 100))
            self.assertIn("this binding needs", old)
        newer_major = _lib._version_problem(FakeVersionLib((_lib.EXPECTED_MAJOR + 1) * 10000))
        self.assertIn("this binding needs", newer_major)
        self.assertIn("not a klonos library", _lib._version_problem(object()))

    def test_missing_library_names_where_it_looked(self):
        proc = _run_python("import klonos", {"KLONOS_LIBRARY": "/nonexistent/libklonos.so.0"})
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("ImportError", proc.stderr)
        self.assertIn("/nonexistent/libklonos.so.0", proc.stderr)
        self.assertIn("KLONOS_LIBRARY", proc.stderr)

    def test_not_a_klonos_library(self):
        import ctypes.util
        libm = ctypes.util.find_library("m")
        if not libm:
            self.skipTest("no libm to try")
        proc = _run_python("import klonos", {"KLONOS_LIBRARY": libm})
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("not a klonos library", proc.stderr)

    def test_system_search_path(self):
        proc = _run_python("import klonos; print(klonos.library_path)",
                           {"KLONOS_LIBRARY": None, "LD_LIBRARY_PATH": os.path.dirname(self.built)})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), "libklonos.so.%d" % _lib.EXPECTED_MAJOR)

    def test_package_directory_comes_before_the_system(self):
        tmp = tempfile.mkdtemp(prefix="klonos-pkg-")
        self.addCleanup(shutil.rmtree, tmp, True)
        pkg = os.path.join(tmp, "klonos")
        shutil.copytree(PACKAGE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__", "_install_config.py"))
        bundled = os.path.join(pkg, "libklonos.so.%d" % _lib.EXPECTED_MAJOR)
        shutil.copy(self.built, bundled)
        proc = _run_python("import klonos; print(klonos.library_path); print(klonos.version())",
                           {"KLONOS_LIBRARY": None, "PYTHONPATH": tmp,
                            "LD_LIBRARY_PATH": os.path.dirname(self.built)})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        path, version = proc.stdout.split()
        self.assertEqual(path, bundled)
        self.assertEqual(version, klonos.version())

    def test_nothing_found_lists_every_place(self):
        tmp = tempfile.mkdtemp(prefix="klonos-pkg-")
        self.addCleanup(shutil.rmtree, tmp, True)
        shutil.copytree(PACKAGE_DIR, os.path.join(tmp, "klonos"),
                        ignore=shutil.ignore_patterns("__pycache__", "_install_config.py", "*.so*"))
        proc = _run_python("import klonos", {"KLONOS_LIBRARY": None, "PYTHONPATH": tmp, "LD_LIBRARY_PATH": None})
        if proc.returncode == 0:
            self.skipTest("a libklonos is installed system-wide")
        self.assertIn("ImportError", proc.stderr)
        self.assertIn("package directory", proc.stderr)
        self.assertIn("system search path", proc.stderr)


@S.requires_cli
class ExampleTest(S.TempDirTestCase):
    """bindings/python/examples/info.py prints what `klonos info --json` prints."""

    def test_example_info_json_matches_cli(self):
        example = os.path.join(os.path.dirname(PACKAGE_DIR), "examples", "info.py")
        wav = self.path("ex.wav")
        S.write_pcm16_wav(wav, [(i, 2 * i, -i) for i in range(250)])
        proc = subprocess.run([sys.executable, example, "--json", wav], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, check=False)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        import json
        self.assertEqual(json.loads(proc.stdout), S.cli_info(wav))
        text = subprocess.run([sys.executable, example, wav], stdout=subprocess.PIPE,
                              universal_newlines=True, check=True).stdout
        self.assertIn("250 frames", text)
        missing = subprocess.run([sys.executable, example, self.path("missing.wav")], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, universal_newlines=True, check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("missing.wav", missing.stderr)


if __name__ == "__main__":
    unittest.main()
