"""start(): run the controller's pipeline with the runner CLI (`node cli.js run FILE --json`) and
follow its events in a background thread, so wait(), is_running(), get_processed_nodes()...
answer from this process. Callbacks run in the runner's controller host
(pipewright.clearml.host), which loads the same file. `--param NAME=VALUE` on the script's
command line sets a pipeline parameter here and is passed on to the runner."""
import json
import os
import subprocess
import sys
import threading
import time

from .. import handoff
from . import overrides

# Lines of a failed step's log shown on the console.
LOG_TAIL = 12

STATUS = {"pending": "pending", "queued": "queued", "running": "running", "done": "completed",
          "error": "failed", "killed": "aborted"}


def apply_event(steps, event, pipeline_id=None):
    """Updates the controller's Nodes from one runner event; returns the step's Node it changed."""
    path = event.get("path")
    if not isinstance(path, str) or path.count("/") != 1 or path == "/":
        return None
    step = steps.get(path[1:])
    if step is None:
        return None
    node = step.node
    kind = event.get("type")
    if kind == "state":
        if event.get("skipped"):
            node.status, node.skip_job = "skipped", True
        else:
            node.status = STATUS.get(event.get("state"), node.status)
            if node.status == "running":
                node.job_started, node.job_ended = event.get("time", 0) / 1000.0, None
    elif kind == "skip":
        node.skip_job = bool(event.get("skipped"))
        node.status = "skipped" if node.skip_job else "pending"
    elif kind == "execution-end":
        execution = event.get("execution") or {}
        node.job_ended = event.get("time", 0) / 1000.0
        if event.get("state") == "done":
            node.executed = "%s.%s" % (event.get("pipeline") or pipeline_id, execution.get("id"))
            node.status = "cached" if execution.get("cached") else "completed"
        elif event.get("state") in STATUS:
            node.status = STATUS[event["state"]]
    return node


class Launch:
    def __init__(self, controller, force_refresh=False):
        self.controller = controller
        self.force_refresh = force_refresh
        self.proc = None
        self.thread = None
        self.started = self.ended = None
        self.state = None
        self.pipeline_id = None
        self._done = threading.Event()

    def _file(self):
        main = sys.modules.get("__main__")
        file = getattr(main, "__file__", None) or self.controller._file
        return os.path.abspath(file)

    def start(self):
        cli = handoff.find_cli()
        if cli is None:
            raise RuntimeError("cannot run the pipeline: the Pipewright CLI was not found; set "
                               "PIPEWRIGHT_CLI to the path of cli.js")
        env = dict(os.environ)
        if self.force_refresh:
            env["PIPEWRIGHT_STEP_CACHE"] = "refresh"
        given, _ = overrides.from_argv(sys.argv[1:])
        overrides.apply(self.controller, given)
        command = [os.environ.get("PIPEWRIGHT_NODE", "node"), cli, "run", self._file(), "--json"]
        self.command, self.env = command, env
        for text in given:
            command += [overrides.FLAG, text]
        self.started = time.time()
        for step in self.controller._pc_steps.values():
            step.node.status, step.node.executed, step.node.skip_job = "pending", None, False
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                     env=env, cwd=os.path.dirname(self._file()))
        # Not a daemon: as in ClearML, the script's process lives as long as its pipeline.
        self.thread = threading.Thread(target=self._follow, name="pipewright-pipeline")
        self.thread.start()

    def _follow(self):
        steps = self.controller._pc_steps
        try:
            for raw in self.proc.stdout:
                try:
                    event = json.loads(raw.decode("utf-8", "replace"))
                except ValueError:
                    continue
                if self.pipeline_id is None and event.get("pipeline"):
                    self.pipeline_id = event["pipeline"]
                    sys.stderr.write("pipeline %s started\n" % self.pipeline_id)
                if event.get("type") == "finished":
                    self.state = event.get("state")
                    continue
                if event.get("type") == "notice":  # a callback's prints among them
                    where = "%s: " % event["path"] if event.get("path") else ""
                    sys.stderr.write("%s%s\n" % (where, event.get("message", "")))
                    sys.stderr.flush()
                    continue
                node = apply_event(steps, event, self.pipeline_id)
                if node is not None and event.get("type") == "execution-end":
                    sys.stderr.write("step %s: %s%s\n" % (node.name, node.status,
                                                         self._why(event)))
        finally:
            self.proc.wait()
            self.ended = time.time()
            if self.state is None:
                self.state = "error" if self.proc.returncode else "done"
            sys.stderr.write("pipeline %s %s\n" % (self.pipeline_id or "", self.state))
            if self.state != "done" and not threading.main_thread().is_alive():
                # start(wait=False) and the script already ended: its exit status is the
                # pipeline's, as with start() waiting.
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(1)
            self._done.set()

    def _why(self, event):
        """For a failed step: why (exit code or reason, message) and its log's last lines, so
        the console says what went wrong, as ClearML's shows a failed step's error."""
        if event.get("state") != "error":
            return ""
        execution = event.get("execution") or {}
        why = execution.get("reason") or "exit %s" % execution.get("exitCode")
        if execution.get("message"):
            why += ": %s" % execution["message"]
        command = [self.command[0], self.command[1], "logs", self.pipeline_id or "",
                   event.get("path", "")]
        try:
            log = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 stdin=subprocess.DEVNULL, timeout=15, env=self.env).stdout
        except (OSError, subprocess.SubprocessError):
            log = b""
        tail = log.decode("utf-8", "replace").rstrip("\n").splitlines()[-LOG_TAIL:]
        shown = "".join("\n  | %s" % line for line in tail)
        return " (%s; pipewright logs %s %s)%s" % (why, self.pipeline_id, event.get("path"), shown)

    def wait(self, timeout=None):
        return self._done.wait(timeout)

    def is_running(self):
        return self.proc is not None and not self._done.is_set()

    def stop(self, timeout=None):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # the CLI kills the pipeline's containers and exits
        self._done.wait(timeout)
