"""The command line shared by `python3 -m pipewright FILE ...` and `python FILE ...` (co.main)."""
import io
import json
import os
import sys

from . import batch, callables, dag, export, handoff, loader, pretty, report
from .errors import DefinitionError
from .node import Node

USAGE = """\
usage: pipewright FILE|PACKAGE_DIR [FUNC [ARG ...]] [--ARG=VALUE ...] [--param NAME=VALUE ...] [--json] [--list] [--errors=json]
       pipewright FILE --all [--errors=json] [--memory-limit MB] [--source-stdin]
       python FILE [FUNC] [--ARG=VALUE ...] [--json] [--local | --run]   (files calling co.main)

Prints the tree of the pipeline FUNC returns (default: co.main's default, else the module's root
node), or its pipeline JSON with --json. A FUNC returning something else prints that value.
Bare ARGs fill FUNC's parameters in order (`pipeline.py primes_up_to 200`), as in Conducto.
A folder means its __main__.py, run inside its package (`python -m PACKAGE`); a .ipynb file
means its code cells.
  --param NAME=VALUE  a PipelineController parameter (add_parameter) for this run
  --list          the file's pipelines as a JSON array of {"name", "line", "default"}
  --all           evaluate the file once and every pipeline of --list needing no arguments:
                  one JSON line each, {"name", "line", "default", "document" | "error"}
  --errors=json   after `FILE:LINE: message`, a last stderr line {"error": {...}}
  --memory-limit MB   cap the evaluation's address space (RLIMIT_AS)
  --source-stdin  read FILE's text from stdin (an unsaved buffer); errors still name FILE
  --local         make a pipeline instance with the Pipewright CLI, Run toggle off
  --run           make it and run it to the end (node cli.js run ...)
Exit status: 0, 2 for a usage error, 3 for an error in the definition.
With $PIPEWRIGHT_NODE_OUTPUT set, a pipeline is also written there as JSON (Lazy's Generate)."""

EXIT_USAGE = 2
EXIT_DEFINITION = 3


class Options:
    def __init__(self):
        self.func = None
        self.args = []
        self.json = self.list = self.run = self.help = self.errors_json = False
        self.all = self.source_stdin = False
        self.memory_limit = None
        self.params = []  # NAME=VALUE texts of --param


def parse_options(argv):
    """Our flags out of argv; the rest is FUNC (first bare word) and FUNC's arguments."""
    opts, rest = Options(), []
    tokens = iter(argv)
    for token in tokens:
        if token == "--json":
            opts.json = True
        elif token == "--list":
            opts.list = True
        elif token in ("--errors=json", "--errors=text"):
            opts.errors_json = token == "--errors=json"
        elif token == "--local":
            opts.run = opts.run or "pending"
        elif token == "--run":
            opts.run = "run"
        elif token in ("-h", "--help"):
            opts.help = True
        elif token == "--all":
            opts.all = True
        elif token == "--source-stdin":
            opts.source_stdin = True
        elif token == "--param" or token.startswith("--param="):
            opts.params.append(token[len("--param="):] if "=" in token else next(tokens, ""))
        elif token == "--memory-limit" or token.startswith("--memory-limit="):
            text = token.partition("=")[2] if "=" in token else next(tokens, "")
            try:
                opts.memory_limit = int(text)
            except ValueError:
                opts.memory_limit = -1  # reported by main() as a usage error
        else:
            rest.append(token)
    if rest and not rest[0].startswith("-"):
        opts.func = rest.pop(0)
    opts.args = rest
    return opts


def _stdout():
    """A UTF-8 text stream on stdout with a large buffer (the tree or JSON may be huge)."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # already a text stream (e.g. redirected in tests)
        return sys.stdout, False
    return io.TextIOWrapper(buffer, encoding="utf-8", newline="\n", write_through=False), True


def _claimable_stdout():
    """Is sys.stdout the process's fd 1 (not a stream a test or caller put in its place)?"""
    try:
        return sys.stdout.fileno() == 1
    except (AttributeError, OSError, ValueError):
        return False


def output(root, name, file, as_json, json_out=None):
    dag.check(root)  # parents= errors are reported before anything is printed
    target = os.environ.get("PIPEWRIGHT_NODE_OUTPUT")
    if target:
        with open(target, "w", encoding="utf-8") as f:
            export.write_pipeline(root, f, name, file)
    if as_json and json_out is not None:
        export.write_pipeline(root, json_out, name, file)
        json_out.flush()
        return
    out, wrapped = _stdout()
    try:
        if as_json:
            export.write_pipeline(root, out, name, file)
        else:
            pretty.write_tree(root, out)
    finally:
        out.flush()
        if wrapped:
            out.detach()


def run(get_definition, opts, file):
    """Evaluate and print; returns the exit status."""
    if opts.help:
        print(USAGE)
        return 0
    # With --json, stdout carries only the JSON: what the definition prints goes to stderr.
    json_out = batch.claim_stdout() if opts.json and not opts.list and not opts.run and _claimable_stdout() else None
    try:
        definition = get_definition()
        if opts.list:
            print(json.dumps(loader.list_pipelines(definition)))
            return 0
        if opts.run:
            # As in Conducto: --local makes the pipeline (Run toggle off), --run also runs it.
            extra = ["--pending"] if opts.run == "pending" else []
            for text in opts.params:
                extra += ["--param", text]
            sys.stderr.write("pipewright: %s\n" % handoff.run_with_cli(definition.file, opts.func,
                                                                         list(opts.args) + extra))
            return EXIT_USAGE
        try:
            name, result, func = loader.pick(definition, opts.func, opts.args)
        except SystemExit as e:
            status = _node_function_exit(definition, opts, e)
            if status is None:
                raise
            return status
        if opts.params:
            from .clearml import overrides
            overrides.check_target(result, opts.params, definition.file)
        if isinstance(result, Node):
            output(result, name, definition.file, opts.json, json_out)
        elif opts.json:
            code = getattr(func, "__code__", None)
            raise DefinitionError("%s() returned %s, not a pipeline node" % (
                name, type(result).__name__), code.co_filename if code else definition.file,
                code.co_firstlineno if code else 1)
        elif result is not None:
            print(result)
        return 0
    except KeyboardInterrupt:
        raise
    # The user's code may raise anything, even exit (sys.exit() while loading the file or in the
    # pipeline function): either way there is no pipeline; report it at the user's line.
    except (Exception, SystemExit) as e:
        report.report(e, file, opts.errors_json)
        return EXIT_DEFINITION


def _node_function_exit(definition, opts, exc):
    """The status of a function run as a node's command (FUNC given, no --json) that ended itself
    with sys.exit(), as Python exits (Conducto's features/slack_callback: sys.exit(int(code))).
    None when it is a pipeline function (annotated to return a node): exiting is an error there."""
    if opts.json or opts.func is None:
        return None
    func = definition.globals.get(opts.func)
    if not callable(func):
        return None
    hint = callables.return_annotation(func)
    names = ("Node", "Serial", "Parallel", "Exec", "Lazy")
    if (isinstance(hint, type) and issubclass(hint, Node)) or \
            (isinstance(hint, str) and hint.split(".")[-1] in names):
        return None
    code = exc.code
    if code is None or isinstance(code, int):
        return code or 0
    sys.stderr.write("%s\n" % (code,))
    return 1


def _definition_path(given):
    """FILE as given, else (inside a node, where the working directory is the image's WORKDIR) in
    the definition's folder, which the runner mounts read-only at $PIPEWRIGHT_SRC."""
    src = os.environ.get("PIPEWRIGHT_SRC")
    if src and not os.path.isabs(given) and not os.path.exists(given):
        candidate = os.path.join(src, given)
        if os.path.exists(candidate):
            return candidate
    return os.path.abspath(given)


def main(argv=None):
    """`python3 -m pipewright FILE [FUNC] ...`; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        (sys.stdout if argv else sys.stderr).write(USAGE + "\n")
        return 0 if argv else EXIT_USAGE
    if os.environ.get("PIPEWRIGHT_WATCH_PARENT") == "1":
        from . import guard
        guard.watch_parent()  # started in a process group of its own: end with the caller
    file, opts = _definition_path(argv[0]), parse_options(argv[1:])
    if opts.memory_limit is not None:
        if opts.memory_limit <= 0:
            sys.stderr.write("pipewright: --memory-limit needs a number of MB\n")
            return EXIT_USAGE
        batch.set_memory_limit(opts.memory_limit)
    source = None
    if opts.source_stdin:  # the editor's buffer; the file need not be saved (or exist)
        source = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    elif not os.path.exists(file):
        sys.stderr.write("pipewright: no such file: %s\n" % argv[0])
        return EXIT_USAGE
    elif os.path.isfile(os.path.join(file, "__main__.py")):
        file = os.path.join(file, "__main__.py")  # a package run as `python -m PACKAGE`
    if opts.all and not opts.help:
        if opts.func or opts.args:
            sys.stderr.write("pipewright: --all takes no FUNC or arguments\n")
            return EXIT_USAGE
        return batch.run_all(file, source, opts.errors_json)
    return run(lambda: loader.load(file, source), opts, file)
