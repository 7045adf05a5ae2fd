"""Entry point of the frozen app (PyInstaller needs a script, not a console entry)."""

import sys

from desktop.app import main

if __name__ == "__main__":
    sys.exit(main())
