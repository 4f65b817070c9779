"""`python3 -m pipewright.warm`: `FILE --all` for the language server, started ahead of time.

Python's start and the SDK's imports happen before the request; the request then costs only the
definition itself. One request per process (no state is carried from one evaluation to the
next): stdin is a JSON header line {"file": path, "memoryMb": n | null, "timeoutMs": n | null,
"errorsJson": bool} followed by the file's text (the editor's buffer) up to EOF. The server kills
the process at timeoutMs; should the server itself die first, the process ends when its parent
goes away or after twice that much CPU time, never running on as an orphan. The answer is `--all`'s: JSON lines
on stdout, exit 3 and a JSON error line on stderr when the file itself fails. An empty stdin
(the server went away) exits 0 without running anything."""
import json
import os
import sys

from . import batch, cli, export, guard, loader, report  # noqa: F401 - imported ahead of the request


def main():
    data = sys.stdin.buffer.read()
    if not data.strip():
        return 0
    header, _, body = data.partition(b"\n")
    try:
        request = json.loads(header.decode("utf-8"))
        file = os.path.abspath(request["file"])
    except (ValueError, KeyError, TypeError) as e:
        sys.stderr.write("pipewright.warm: bad request header: %s\n" % e)
        return cli.EXIT_USAGE
    if request.get("memoryMb"):
        batch.set_memory_limit(request["memoryMb"])
    guard.watch_parent()
    guard.cap_cpu(request.get("timeoutMs"))
    # Started elsewhere (-m put that folder first on sys.path): run as in the definition's folder.
    if sys.path and sys.path[0] == os.getcwd():
        del sys.path[0]
    try:
        os.chdir(os.path.dirname(file))
    except OSError:
        pass
    return batch.run_all(file, body.decode("utf-8", errors="replace"),
                         request.get("errorsJson", True))


if __name__ == "__main__":
    sys.exit(main())
