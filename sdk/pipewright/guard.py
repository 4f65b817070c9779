"""Keeps an evaluation from outliving the program that asked for it.

An evaluation runs in a process group of its own (so a timeout kills everything it started); that
also means it does not die with its parent. `watch_parent` ends it when the parent goes away;
`cap_cpu` ends a loop that outlived its time limit even if nobody is left to kill it."""
import os
import threading
import time

_watching = False


def watch_parent():
    """Exit at once when the parent process is gone (re-parented to init or a subreaper)."""
    global _watching
    if _watching:
        return
    _watching = True
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="pipewright-parent-watch", daemon=True).start()


def cap_cpu(timeout_ms):
    """Past twice the time limit in CPU seconds, the kernel ends the process (RLIMIT_CPU)."""
    if not timeout_ms:
        return
    try:
        import resource
        seconds = int(2 * timeout_ms / 1000) + 2
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard == resource.RLIM_INFINITY or hard >= seconds:
            resource.setrlimit(resource.RLIMIT_CPU, (seconds, hard))
    except (ImportError, ValueError, OSError, AttributeError):
        pass
