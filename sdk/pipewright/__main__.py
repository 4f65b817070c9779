"""`python3 -m pipewright FILE [FUNC] [--arg=v ...] [--json] [--list] [--errors=json]`."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
