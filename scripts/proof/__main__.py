"""`python -m scripts.proof` (make proof): see the package's docstring."""

import signal
import sys

from . import ProofError
from .cli import main

if __name__ == "__main__":
    # `kill` restores the apps too: SystemExit unwinds through main's finally
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sys.exit(main())
    except ProofError as err:
        print(f"proof: {err}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
