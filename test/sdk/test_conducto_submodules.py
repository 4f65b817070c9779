"""`conducto.X` submodules are the SDK's own modules, as Conducto users import them."""
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sdk_helpers import SDK  # noqa: E402


def python(code):
    return subprocess.run([sys.executable, "-I", "-c", "import sys; sys.path.insert(0, %r)\n%s" % (SDK, code)],
                          capture_output=True, text=True, timeout=60)


class ConductoSubmodules(unittest.TestCase):
    def test_from_conducto_util_import(self):
        r = python("from conducto.util import magic_doc, makeyyyymmnodes\n"
                   "import conducto.util, pipewright.util, conducto as co\n"
                   "assert conducto.util is pipewright.util is co.util\n"
                   "print(magic_doc.__module__)")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "pipewright.util")

    def test_one_error_class_whichever_name_is_used(self):
        r = python("import conducto.errors, pipewright.errors\n"
                   "assert conducto.errors.DefinitionError is pipewright.errors.DefinitionError")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_a_submodule_neither_has_is_a_plain_import_error(self):
        r = python("import conducto.no_such_thing")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("No module named 'conducto.no_such_thing'", r.stderr)


if __name__ == "__main__":
    unittest.main()
