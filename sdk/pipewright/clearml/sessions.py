"""One run of a PipelineDecorator pipeline body: what a component call does.

DebugSession (debug_pipeline()): the component runs as a plain function in this process when its
result is first used. RunnerSession (the run's controller node, decorated_host.py): each call
adds a step to the run, asking the runner over JSON lines (see decorated_host.py), and a result
is loaded from the step's artifact when the body uses it."""
import base64
import hashlib
import json
import os
import pickle
import tempfile
import threading
import traceback

from .. import callables
from ..frames import user_frame
from ..image import Image
from ..node import Exec
from .controller import Node
from .lazy import LazyResult, resolve_all
from .plain_unpickle import load_plain

STEP_MODULE = "python3 -m pipewright.clearml.step"


class Session(object):
    def __init__(self, definition, reserved=()):
        self.definition = definition
        self.launched = {}          # step name -> component
        self.reserved = set(reserved)
        self.lock = threading.RLock()

    def step_name(self, component):
        """As ClearML names repeated calls: step, step_1, step_2..."""
        name, counter = component.name, 1
        while name in self.launched or name in self.reserved:
            name = "%s_%d" % (component.name, counter)
            counter += 1
        return name

    def run(self, kwargs):
        from .decorator import PipelineDecorator
        previous, PipelineDecorator._session = PipelineDecorator._session, self
        try:
            result = self.definition.func(**kwargs)
            self.finish()
            return result
        finally:
            PipelineDecorator._session = previous

    def finish(self):
        pass

    def lazies(self, component, name, load):
        results = [LazyResult(name, ret, (lambda r=ret, i=i: load(r, i)))
                   for i, ret in enumerate(component.returns)]
        return results[0] if len(results) == 1 else results


class DebugSession(Session):
    """debug_pipeline(): components are functions; each runs once, when first needed (and any
    not needed by the end of the body then)."""

    def __init__(self, definition):
        Session.__init__(self, definition)
        self.pending = []

    def call(self, component, args, kwargs):
        with self.lock:
            args, kwargs = resolve_all(list(args)), resolve_all(dict(kwargs))
            name = self.step_name(component)
            self.launched[name] = component
            box = []

            def compute():
                if not box:
                    box.append(component.func(*args, **kwargs))
                return box[0]

            def load(_ret, index):
                value = compute()
                if len(component.returns) == 1:
                    return value
                return value[index]
            self.pending.append(compute)
            return self.lazies(component, name, load)

    def finish(self):
        for compute in self.pending:
            compute()

    def upload_artifact(self, name, obj):
        return True


class Channel(object):
    """Requests to the runner: one JSON line out, one JSON line back with the same id. Replies
    are read by a thread of their own, so a body's threads may wait for different steps at once
    (and add steps while another waits)."""

    def __init__(self, out, inp, serve=None):
        self.out, self.inp = out, inp
        self.serve = serve          # (request) -> reply: the runner's calls (step callbacks)
        self.workers = set()        # threads answering calls
        self.seq = 0
        self.lock = threading.Lock()
        self.waiting = {}           # id -> [threading.Event, reply]
        self.closed = False
        reader = threading.Thread(target=self._read, name="pipewright-runner-replies")
        reader.daemon = True
        reader.start()

    def _read(self):
        for line in self.inp:
            if not line.strip():
                continue
            reply = json.loads(line)
            if "call" in reply:  # the runner asks (a callback): answered by a thread of its own
                worker = threading.Thread(target=self._answer, args=(reply,))
                worker.daemon = True
                with self.lock:
                    self.workers.add(worker)
                worker.start()
                continue
            with self.lock:
                slot = self.waiting.pop(reply.get("id"), None)
            if slot is not None:
                slot[1] = reply
                slot[0].set()
        with self.lock:
            self.closed = True
            slots, self.waiting = list(self.waiting.values()), {}
        for slot in slots:
            slot[0].set()

    def _answer(self, call):
        try:
            answer = self.serve(call) if self.serve else {"error": "no callbacks here"}
        except Exception:
            answer = {"error": traceback.format_exc()}
        answer = dict(answer, answer=call["call"])
        with self.lock:
            self.out.write(json.dumps(answer, ensure_ascii=False, default=str) + "\n")
            self.out.flush()
            self.workers.discard(threading.current_thread())

    def drain(self):
        """Waits for the calls being answered: a step's last status change comes with its end,
        which the body may be done waiting for before the callback is."""
        while True:
            with self.lock:
                workers = list(self.workers)
            if not workers:
                return
            for worker in workers:
                worker.join()

    def request(self, message):
        slot = [threading.Event(), None]
        with self.lock:
            if self.closed:
                raise RuntimeError("the runner closed the pipeline's channel")
            self.seq += 1
            self.waiting[self.seq] = slot
            self.out.write(json.dumps(dict(message, id=self.seq), ensure_ascii=False) + "\n")
            self.out.flush()
        slot[0].wait()
        if slot[1] is None:
            raise RuntimeError("the runner closed the pipeline's channel")
        return slot[1]


class StepFailed(ValueError):
    pass


class RunnerSession(Session):
    def __init__(self, definition, kwargs, channel, reserved=()):
        Session.__init__(self, definition, reserved)
        self.kwargs = kwargs
        self.channel = channel
        self.evaluated = []         # steps whose results the body used, in order
        self.has_children = set()   # steps some later step depends on
        self.nodes = {}             # step name -> PipelineController.Node, for the callbacks
        channel.serve = self.serve

    # --- a component call ---------------------------------------------------------------------

    def call(self, component, args, kwargs):
        frame = user_frame()
        with self.lock:
            values = component.kwargs(args, kwargs)
            try:
                kinds = callables.param_kinds(component.inner)
            except (TypeError, ValueError):
                kinds = {}
            name = self.step_name(component)
            parents = [p for p in component.parents]
            params = {}
            for key, value in values.items():
                if isinstance(value, LazyResult):
                    step = object.__getattribute__(value, "_pw_step")
                    ret = object.__getattribute__(value, "_pw_name")
                    params["kwargs/" + key] = "${%s.%s}" % (step, ret)
                    if step not in parents:
                        parents.append(step)
                elif isinstance(value, float) and value.is_integer() and \
                        kinds.get(key, ("",))[0] == "float":
                    # JSON between here and the step makes 2.0 a 2: as text, the step casts it
                    # back to the parameter's kind (pipewright.clearml.step).
                    params["kwargs/" + key] = repr(value)
                elif value is None or isinstance(value, (bool, int, float, str)):
                    params["kwargs/" + key] = value
                else:
                    params["kwargs/" + key] = {"__artifact__": self._upload_input(
                        resolve_all(value))}
            # ClearML: results the body used before this call make their steps parents too
            # (when nothing depends on them yet), so the graph shows the order the logic imposed.
            for step in self.evaluated:
                if step not in parents and step not in self.has_children:
                    parents.append(step)
            node = self._node(component, name, params, parents, frame)
            # Known before the runner hears of it: its callbacks may come before the reply.
            self.launched[name] = component
            self.nodes[name] = Node(name, parents=parents, parameters=params,
                                    queue=node["step"]["queue"],
                                    timeout=component.time_limit,
                                    job_code_section=component.inner.__name__,
                                    return_artifacts=component.returns,
                                    cache_executed_step=component.cache)
            reply = self.channel.request({"op": "add", "node": node})
            if reply.get("error"):
                del self.launched[name], self.nodes[name]
                raise RuntimeError("cannot add step %r: %s" % (name, reply["error"]))
            self.has_children.update(parents)
            return self.lazies(component, name, lambda ret, _i: self.load(name, ret))

    def _upload_input(self, value):
        data = pickle.dumps(value)
        reply = self.channel.request({"op": "upload", "sha256": hashlib.sha256(data).hexdigest(),
                                      "data": base64.b64encode(data).decode("ascii")})
        if reply.get("error"):
            raise RuntimeError("cannot pass an argument to a step: %s" % reply["error"])
        return reply["path"]

    def _node(self, component, name, params, parents, frame):
        """The step's node as pipeline JSON: exported under a copy of the pipeline's root so it
        inherits what the root sets."""
        from ..export import pipeline_json
        spec = {
            "kind": "function", "base_task_id": None, "project": self.definition.project,
            "task_name": name, "parameters": params, "args_from_parameters": False,
            "function": {"file": callables.file_for(component.inner),
                         "name": component.global_name(),
                         "returns": list(component.returns), "code_hash": component.code_hash},
            "name": name, "queue": component.queue or _default_queue(self.definition),
            "time_limit": component.time_limit, "cache": component.cache,
            "retry": component.retry if isinstance(component.retry, int)
            and not isinstance(component.retry, bool) else None,
            "retry_callback": callable(component.retry),
            "callbacks": {k: v is not None for k, v in sorted(component.callbacks.items())},
            "continue_on_fail": bool(component.continue_behaviour.get("continue_on_fail")),
            "continue_on_abort": bool(component.continue_behaviour.get("continue_on_abort")),
            "skip_children_on_fail": component.continue_behaviour.get("skip_children_on_fail",
                                                                      True),
            "skip_children_on_abort": component.continue_behaviour.get("skip_children_on_abort",
                                                                       True),
            "task_type": component.task_type,
        }
        node = _StepExec("%s %s %s" % (STEP_MODULE, spec["function"]["file"],
                                       spec["function"]["name"]),
                         spec)
        node._file = frame.f_code.co_filename if frame else component.file
        node._line = frame.f_lineno if frame else component.line
        image = component.docker
        if component.packages:
            image = Image(name=image, install_pip=component.packages)
        if image:
            node.set_param("image", image)
        if component.time_limit:
            node.set_param("max_time", component.time_limit)
        if spec["continue_on_fail"]:
            node.set_param("suppress_errors", True)
        root = self.definition.root(self.kwargs)
        root._add(name, node)
        doc = json.loads(pipeline_json(root, self.definition.name, self.definition.file))
        found = [n for n in doc["nodes"] if n["path"] == "/" + name][0]
        found["parents"] = ["/" + p for p in parents]
        return found

    # --- results ------------------------------------------------------------------------------

    def wait(self, name):
        reply = self.channel.request({"op": "wait", "name": name})
        if reply.get("error"):
            raise RuntimeError(reply["error"])
        return reply

    def load(self, name, ret):
        reply = self.wait(name)
        state = reply.get("state")
        if state == "skipped":
            return None
        if state != "done":
            component = self.launched.get(name)
            if component is not None and state == "error" and \
                    component.continue_behaviour.get("continue_on_fail"):
                return None
            raise StepFailed('Pipeline step "%s" failed%s' % (
                name, (": " + reply["message"]) if reply.get("message") else ""))
        with self.lock:
            if name not in self.evaluated:
                self.evaluated.append(name)
        reply = self.channel.request({"op": "artifact", "name": name, "artifact": ret})
        if reply.get("error"):
            raise StepFailed('Pipeline step "%s": %s' % (name, reply["error"]))
        data = base64.b64decode(reply["data"])
        if reply.get("type") == "pickle":
            return load_plain(data, name)
        # A file artifact: a local copy, as ClearML's artifact.get() of a file.
        folder = tempfile.mkdtemp(prefix="pipewright-artifact-")
        path = os.path.join(folder, os.path.basename(reply.get("file") or ret))
        with open(path, "wb") as f:
            f.write(data)
        return path

    def finish(self):
        """ClearML waits for every step the body started before the pipeline ends."""
        for name in list(self.launched):
            self.wait(name)

    # --- the runner's calls: a component's callbacks -------------------------------------------

    def serve(self, call):
        """pre/post/status/retry of a step, as the controller host answers them (host.py); the
        callbacks get this session as `pipeline` (get_pipeline_dag(), get_processed_nodes()...)."""
        name = call.get("step")
        node, component = self.nodes.get(name), self.launched.get(name)
        if node is None:
            return {"error": "no step %r in this pipeline" % (name,)}
        for other, state in (call.get("nodes") or {}).items():
            known = self.nodes.get(other)
            if known is not None:
                known.status = state.get("status", known.status)
                known.executed = state.get("executed")
                known.skip_job = known.status == "skipped"
                known.job_started, known.job_ended = state.get("started"), state.get("ended")
                known.retries = state.get("retries", known.retries)
        callbacks, op = component.callbacks, call.get("op")
        if op == "pre":
            parameters = dict(call.get("parameters") or {})
            node.parameters = parameters
            if callbacks["pre"] and callbacks["pre"](self, node, parameters) is False:
                return {"skip": True}
            return {"parameters": parameters}
        if op == "post":
            if callbacks["post"]:
                callbacks["post"](self, node)
            return {}
        if op == "status":
            if callbacks["status"]:
                callbacks["status"](self, node, call.get("previous"))
            return {}
        if op == "retry":
            return {"retry": bool(component.retry(self, node, call.get("retries", 0)))}
        return {"error": "unknown call %r" % (op,)}

    def get_pipeline_dag(self):
        return dict(self.nodes)

    def get_processed_nodes(self):
        return [n for n in self.nodes.values()
                if n.status in ("completed", "failed", "skipped", "cached", "aborted")]

    def get_running_nodes(self):
        return [n for n in self.nodes.values() if n.status in ("queued", "running")]

    def get_parameters(self):
        return dict(self.kwargs)

    def upload_artifact(self, name, obj):
        data = pickle.dumps(obj)
        reply = self.channel.request({"op": "upload", "artifact": name,
                                      "sha256": hashlib.sha256(data).hexdigest(),
                                      "data": base64.b64encode(data).decode("ascii")})
        if reply.get("error"):
            raise RuntimeError("upload_artifact(%r): %s" % (name, reply["error"]))
        return True


def _default_queue(definition):
    from .decorator import PipelineDecorator
    return definition.default_queue or PipelineDecorator._default_execution_queue


class _StepExec(Exec):
    """A component call's Exec node with its `"step"` object (docs/clearml.md)."""

    def __init__(self, command, spec):
        Exec.__init__(self, command)
        self._step_spec = spec

    @property
    def _EXTRA_JSON(self):
        return ', "step": ' + json.dumps(self._step_spec, ensure_ascii=False, sort_keys=True)
