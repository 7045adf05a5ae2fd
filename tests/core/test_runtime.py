"""A frozen build gives the programs it starts the user's library path, not the bundle's."""

from __future__ import annotations

import sys

import pytest

from core.runtime import child_environment, restore_user_environment

BUNDLE = "/opt/licensedesk/_internal"


def test_child_environment_restores_the_users_library_path() -> None:
    env = {"LD_LIBRARY_PATH": BUNDLE + ":/home/u/lib", "LD_LIBRARY_PATH_ORIG": "/home/u/lib"}
    assert child_environment(env, BUNDLE) == {"LD_LIBRARY_PATH": "/home/u/lib"}


def test_child_environment_drops_a_library_path_the_user_did_not_have() -> None:
    env = {"LD_LIBRARY_PATH": BUNDLE, "PATH": "/usr/bin"}
    assert child_environment(env, BUNDLE) == {"PATH": "/usr/bin"}


def test_child_environment_keeps_the_users_entries_without_an_orig_copy() -> None:
    env = {"LD_LIBRARY_PATH": f"{BUNDLE}:{BUNDLE}/PySide6:/home/u/lib"}
    assert child_environment(env, BUNDLE) == {"LD_LIBRARY_PATH": "/home/u/lib"}


def test_child_environment_leaves_the_input_alone() -> None:
    env = {"LD_LIBRARY_PATH": BUNDLE}
    child_environment(env, BUNDLE)
    assert env == {"LD_LIBRARY_PATH": BUNDLE}


def test_restore_user_environment_does_nothing_unfrozen() -> None:
    env = {"LD_LIBRARY_PATH": BUNDLE, "LD_LIBRARY_PATH_ORIG": "/x"}
    restore_user_environment(env)
    assert env == {"LD_LIBRARY_PATH": BUNDLE, "LD_LIBRARY_PATH_ORIG": "/x"}


def test_restore_user_environment_cleans_a_frozen_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", BUNDLE, raising=False)
    env = {"LD_LIBRARY_PATH": BUNDLE, "LD_LIBRARY_PATH_ORIG": "/home/u/lib", "HOME": "/home/u"}
    restore_user_environment(env)
    assert env == {"LD_LIBRARY_PATH": "/home/u/lib", "HOME": "/home/u"}
