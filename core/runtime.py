"""The process environment of a frozen (PyInstaller) build.

PyInstaller's bootloader points the library search path at the bundle and keeps the user's
value in `<NAME>_ORIG`. Programs the app starts (the system browser for sign-in, xdg-open for
a link) must get the user's value back, or they load the bundle's older libraries.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, MutableMapping

# The variables PyInstaller's bootloader sets on Linux and other Unixes (LIBPATH on AIX).
LIBRARY_PATH_VARIABLES = ("LD_LIBRARY_PATH", "LIBPATH")


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def bundle_dir() -> str | None:
    """The folder of the frozen build's libraries, or None when not frozen."""
    return getattr(sys, "_MEIPASS", None) if is_frozen() else None


def child_environment(environ: Mapping[str, str], bundle: str) -> dict[str, str]:
    """Return `environ` with each library path the bootloader set back to the user's value.

    A variable with an `_ORIG` copy gets that value back; otherwise the entries naming the
    bundle folder are dropped (and the variable with them when nothing else is left).
    """
    env = dict(environ)
    for name in LIBRARY_PATH_VARIABLES:
        original = env.pop(f"{name}_ORIG", None)
        if original is not None:
            env[name] = original
            continue
        if name not in env:
            continue
        kept = [p for p in env[name].split(os.pathsep) if p and not _inside(p, bundle)]
        if kept:
            env[name] = os.pathsep.join(kept)
        else:
            del env[name]
    return env


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.normpath(path), os.path.normpath(folder)
    return path == folder or path.startswith(folder + os.sep)


def restore_user_environment(environ: MutableMapping[str, str] | None = None) -> None:
    """In a frozen build, give this process (and so every child) the user's library path.

    The running process is not affected: the dynamic loader read the variable at start-up.
    """
    bundle = bundle_dir()
    if bundle is None:
        return
    target = os.environ if environ is None else environ
    clean = child_environment(target, bundle)
    for name in LIBRARY_PATH_VARIABLES:
        target.pop(f"{name}_ORIG", None)
        if name in clean:
            target[name] = clean[name]
        else:
            target.pop(name, None)
