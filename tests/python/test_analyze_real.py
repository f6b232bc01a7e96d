"""klonos.analyze() on every real recording equals `klonos analyze --format json`
(or fails with the CLI's code and message). Skips without $KLONOS_REAL_DATA."""

import glob
import os
import re
import unittest

import klonos

import test_support as S

REAL = os.environ.get("KLONOS_REAL_DATA", "")
SKIP_NAMES = re.compile(r"(^|/)(LICENSE|NOTICE|README)[^/]*$")


@unittest.skipUnless(REAL and os.path.isdir(REAL), "KLONOS_REAL_DATA is not a directory")
@S.requires_cli
class RealAnalyzeTest(unittest.TestCase):
    def test_every_file_matches_the_cli(self):
        files = sorted(p for p in glob.glob(os.path.join(REAL, "**", "*"), recursive=True)
                       if os.path.isfile(p) and not SKIP_NAMES.search(p))
        self.assertTrue(files)
        analysed = 0
        for p in files:
            for options in ({"events": True}, {"calibrate": True, "score_epoch": 30}):
                with self.subTest(file=os.path.relpath(p, REAL), options=options):
                    cli = S.cli_analyze(p, options)
                    if "error" in cli:
                        with self.assertRaises(klonos.Error) as cm:
                            klonos.analyze(p, **options)
                        e = cm.exception
                        self.assertEqual(cli["error"], {"code": e.code, "name": e.name, "message": e.message})
                    else:
                        self.assertEqual(klonos.analyze(p, **options).to_dict(), cli)
                        analysed += 1
        self.assertGreater(analysed, 0)


if __name__ == "__main__":
    unittest.main()
