"""Hand a pipeline to the runner CLI (`node cli.js run FILE FUNC --args`) for --local / --run."""
import os

_SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def find_cli():
    """$PIPEWRIGHT_CLI, else cli.js beside the SDK folder (dist/cli.js when shipped as dist/sdk)."""
    path = os.environ.get("PIPEWRIGHT_CLI") or os.path.join(os.path.dirname(_SDK_DIR), "cli.js")
    return path if os.path.isfile(path) else None


def run_with_cli(file, func, args):
    """Replace this process with the runner; returns an error message if it cannot."""
    cli = find_cli()
    if cli is None:
        return ("cannot run the pipeline: the Pipewright CLI was not found (looked for %s); set "
                "PIPEWRIGHT_CLI to the path of cli.js"
                % (os.environ.get("PIPEWRIGHT_CLI") or os.path.join(os.path.dirname(_SDK_DIR),
                                                                    "cli.js")))
    command = ["node", cli, "run", file] + ([func] if func else []) + list(args)
    try:
        os.execvp(command[0], command)
    except OSError as e:
        return "cannot run %s: %s" % (" ".join(command[:2]), e)
