"""A text stream that writes whole lines, one write each: the pipeline body and the callbacks
answered in other threads print at once, and print() writes its parts one by one, so their lines
would cut into each other in the node's log."""
import atexit
import threading


class WholeLines(object):
    def __init__(self, stream):
        self._stream = stream
        self._lock = threading.Lock()
        self._pending = {}  # thread id -> its line so far
        atexit.register(self.flush_all)

    def write(self, text):
        me = threading.get_ident()
        with self._lock:
            head, newline, tail = (self._pending.pop(me, "") + text).rpartition("\n")
            if tail:
                self._pending[me] = tail
            if newline:
                self._stream.write(head + newline)
                self._stream.flush()
        return len(text)

    def flush(self):
        """This thread's unfinished line too (print(..., flush=True), a progress bar)."""
        with self._lock:
            rest = self._pending.pop(threading.get_ident(), "")
            if rest:
                self._stream.write(rest)
            self._stream.flush()

    def flush_all(self):
        with self._lock:
            for rest in self._pending.values():
                self._stream.write(rest)
            self._pending.clear()
            self._stream.flush()

    def __getattr__(self, name):  # fileno, isatty, encoding, buffer...
        return getattr(self._stream, name)
