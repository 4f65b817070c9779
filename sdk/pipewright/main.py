"""co.main(): the command line of a definition file run as `python FILE [FUNC] [--arg=v]`."""
import os
import sys

from . import cli, context
from .errors import DefinitionError, MainCalled
from .frames import user_frame
from .loader import Definition
from .params import validate


def main(default=None, cpu=None, gpu=None, mem=None, env=None, image=None,
         requires_docker=False, argv=None, variables=None, filename=None, printer=None):
    """Print (or with --json export, or with --local/--run run) the pipeline FUNC returns,
    FUNC being argv's first word or default. cpu, gpu, mem, env, image and requires_docker
    apply to the returned root unless it sets them itself. variables and printer are accepted
    for Conducto compatibility and ignored."""
    options = {}
    for key, value in (("cpu", cpu), ("gpu", gpu), ("mem", mem), ("env", env),
                       ("image", image), ("requires_docker", requires_docker or None)):
        if value is not None:
            options[key] = validate(key, value)
    if default is not None and not callable(default) and not isinstance(default, str):
        raise DefinitionError("co.main(default=%r): expected a function" % (default,))
    if context.capture_main:  # the loader is evaluating this file: tell it, don't act
        raise MainCalled(default, options)
    caller = user_frame()
    module_globals = caller.f_globals if caller is not None else {}
    file = os.path.abspath(filename or module_globals.get("__file__") or sys.argv[0])
    context.definition_dir = os.path.dirname(file)
    definition = Definition(file, module_globals, default, options)
    opts = cli.parse_options(sys.argv[1:] if argv is None else list(argv))
    sys.exit(cli.run(lambda: definition, opts, file))
