"""Entry point of the frozen app (PyInstaller needs a script, not a console entry).

The import's staging worker runs this same executable with a flag (a frozen app has no
`python -m`), so the flag is dispatched before anything else loads.
"""

import sys

if __name__ == "__main__":
    from core.imports.stager import FROZEN_FLAG

    if len(sys.argv) > 2 and sys.argv[1] == FROZEN_FLAG:
        from core.imports.stager import run_worker

        run_worker(sys.argv[2])
        sys.exit(0)
    from desktop.app import main

    sys.exit(main())
