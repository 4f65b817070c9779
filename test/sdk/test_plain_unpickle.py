"""A decorated pipeline's body reads step results on the host: plain data only, never a class a
hostile step's pickle names."""
import os
import pickle
import sys
import tempfile
import unittest
from collections import OrderedDict
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sdk_helpers  # noqa: E402,F401
from pipewright.clearml.plain_unpickle import load_plain  # noqa: E402


class Planted:
    """What a hostile step returns: loading it runs a command."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, ("touch %s" % self.path,))


class Model:
    pass


class PlainUnpickle(unittest.TestCase):
    def test_plain_data_comes_back(self):
        value = {"acc": 0.93, "names": ["a", "b"], "when": datetime(2026, 11, 30),
                 "order": OrderedDict(x=1), "pair": (1, b"\x00"), "tags": {"t"}, "none": None}
        self.assertEqual(load_plain(pickle.dumps(value), "train"), value)

    def test_a_pickle_that_runs_a_command_is_refused_and_runs_nothing(self):
        planted = os.path.join(tempfile.mkdtemp(), "planted")
        with self.assertRaises(RuntimeError) as caught:
            load_plain(pickle.dumps(Planted(planted)), "evil")
        self.assertFalse(os.path.exists(planted), "the step's command ran on the host")
        self.assertIn('step "evil"', str(caught.exception))
        self.assertIn("posix.system", str(caught.exception))

    def test_another_class_is_refused_with_advice(self):
        with self.assertRaises(RuntimeError) as caught:
            load_plain(pickle.dumps(Model()), "fit")
        self.assertIn("Model", str(caught.exception))
        self.assertIn("Pass the result to another component", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
