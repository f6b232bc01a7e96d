"""bindings/python/examples/analyze.py: --json prints what the CLI prints."""

import os
import subprocess
import sys
import unittest

import test_support as S

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python", "examples",
                       "analyze.py")


def run_example(*args):
    proc = subprocess.run([sys.executable, EXAMPLE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          check=False)
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")


class ExampleTest(S.TempDirTestCase):
    @S.requires_cli
    def test_json_output_is_the_cli_output(self):
        missing = self.path("missing.wav")
        for args in (["--json", S.DEMO], ["--json", "--events", "--calibrate", "--score-epoch", "30", S.DEMO],
                     ["--json", S.DEMO, missing]):
            with self.subTest(args=args[:-1]):
                code, out, _ = run_example(*args)
                cli_code, cli_out, _ = S.cli_run("analyze", "--format", "json", *args[1:])
                self.assertEqual(out, cli_out)
                self.assertEqual(code, cli_code)

    def test_summary(self):
        code, out, err = run_example(S.DEMO)
        self.assertEqual(code, 0, err)
        self.assertIn("severity    motor ", out)
        self.assertIn("jerks", out)
        self.assertIn("cadence", out)


if __name__ == "__main__":
    unittest.main()
