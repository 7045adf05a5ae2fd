"""Entry point of both frozen executables (PyInstaller needs a script, not a console entry).

One script serves the window (`licensedesk`) and the command line (`licensedesk-cli`): the
name it is started by picks which, so both share one analysis and one set of libraries. The
import's staging worker runs the running executable again with a flag (a frozen app has no
`python -m`), so the flag is dispatched first, from either executable.
"""

import sys
from pathlib import Path

CLI_NAME = "licensedesk-cli"


def _invoked_names() -> set[str]:
    """The executable's name and the name it was started by: on Linux `licensedesk-cli` is a
    symbolic link to `licensedesk` (one executable and one copy of the code archive, not two),
    and the bootloader reports the link's target as `sys.executable`; `argv[0]` keeps the
    name the user typed."""
    return {Path(sys.executable).stem.lower(), Path(sys.argv[0]).stem.lower()}


def main() -> int:
    from core.runtime import restore_user_environment

    # Programs this process starts (the browser for sign-in, xdg-open) get the user's library
    # path, not the bundle's; the worker below is this bundle again and sets its own.
    restore_user_environment()
    from core.imports.stager import FROZEN_FLAG

    if len(sys.argv) > 2 and sys.argv[1] == FROZEN_FLAG:
        from core.imports.stager import run_worker

        run_worker(sys.argv[2])
        return 0
    if CLI_NAME in _invoked_names():
        from core.cli import main as cli_main

        return cli_main()
    from desktop.app import main as app_main

    return app_main()


if __name__ == "__main__":
    sys.exit(main())
