"""WholeLines: threads printing at once into one stream never cut into each other's lines."""
import io
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdk_helpers  # noqa: E402,F401

from pipewright.clearml.whole_lines import WholeLines  # noqa: E402


class Recorder(io.StringIO):
    def __init__(self):
        super().__init__()
        self.writes = []

    def write(self, text):
        self.writes.append(text)
        return super().write(text)


class WholeLinesTest(unittest.TestCase):
    def test_threads_printing_at_once_keep_their_lines(self):
        raw = Recorder()
        stream = WholeLines(raw)
        start = threading.Barrier(4)

        def talk(name):
            start.wait()
            for i in range(300):
                print("status", name, i, "->", "completed", file=stream)

        threads = [threading.Thread(target=talk, args=("t%d" % n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        lines = raw.getvalue().splitlines()
        self.assertEqual(len(lines), 1200)
        for line in lines:
            self.assertRegex(line, r"^status t\d \d+ -> completed$")
        self.assertTrue(all(w.endswith("\n") for w in raw.writes), "each write is whole lines")

    def test_an_unfinished_line_comes_out_on_flush_and_at_the_end(self):
        raw = Recorder()
        stream = WholeLines(raw)
        stream.write("50%")
        self.assertEqual(raw.getvalue(), "")
        stream.flush()
        self.assertEqual(raw.getvalue(), "50%")
        other = threading.Thread(target=lambda: stream.write("left by a thread"))
        other.start()
        other.join()
        stream.flush_all()
        self.assertEqual(raw.getvalue(), "50%left by a thread")

    def test_the_rest_is_the_stream_s(self):
        raw = Recorder()
        raw.write("kept\n")
        self.assertEqual(WholeLines(raw).getvalue(), "kept\n")


if __name__ == "__main__":
    unittest.main()
