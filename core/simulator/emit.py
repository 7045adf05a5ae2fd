"""JSON text of user objects, fast: one generated f-string per `$select` list.

A 999-user page must cost a few milliseconds, which rules out building dicts and calling
`json.dumps` per user. Every value is plain ASCII without characters JSON would escape (names
and domains come from fixed lists and validated specs; license fragments are pre-serialized),
so the text equals `json.dumps(obj, separators=(",", ":"))` of the same object. Field names
are checked against a whitelist before any code is generated.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .synth import DEPARTMENTS, JOB_TITLES, LOCATIONS, stamp
from .users import USER_PROPERTIES, Core, UserFactory

Emitter = Callable[[UserFactory, int, Core], str]

# JSON fragment per property: f-string source using fac, i, core, guest, h2, names, profile.
_FRAGMENTS = {
    "id": '"{fac.user_id(i, h2)}"',
    "displayName": '"{display}"',
    "userPrincipalName": '"{upn}"',
    "mail": '"{mail}"',
    "givenName": '"{first}"',
    "surname": '"{last}"',
    "accountEnabled": "{_TRUE if core[2] else _FALSE}",
    "userType": "{_GUEST if guest else _MEMBER}",
    "createdDateTime": '"{stamp(core[3], (h2 >> 8) % 86400)}"',
    "usageLocation": '"{_LOC[(h2 >> 24) % _NLOC]}"',
    "jobTitle": "{_NULL if guest else _JOBS[(h2 >> 28) % _NJOBS]}",
    "department": "{_NULL if guest else _DEPTS[(h2 >> 32) % _NDEPTS]}",
    "businessPhones": "[]",
    "mobilePhone": "null",
    "officeLocation": "null",
    "preferredLanguage": '"en-US"',
    "assignedLicenses": "{profile.assigned_json}",
    "licenseAssignmentStates": "{fac.states_json(core)}",
    "signInActivity": "{fac.sign_in_json(core)}",
}
_NAMED = {"displayName", "userPrincipalName", "mail", "givenName", "surname"}
_NAMESPACE: dict[str, Any] = {
    "stamp": stamp,
    "_TRUE": "true",
    "_FALSE": "false",
    "_NULL": "null",
    "_GUEST": '"Guest"',
    "_MEMBER": '"Member"',
    "_LOC": LOCATIONS,
    "_NLOC": len(LOCATIONS),
    "_JOBS": tuple(f'"{t}"' for t in JOB_TITLES),
    "_NJOBS": len(JOB_TITLES),
    "_DEPTS": tuple(f'"{d}"' for d in DEPARTMENTS),
    "_NDEPTS": len(DEPARTMENTS),
}
_cache: dict[tuple[str, ...], Emitter] = {}
_lock = threading.Lock()


def emitter(fields: tuple[str, ...]) -> Emitter:
    """Return the function that renders users with exactly `fields`, in that order."""
    found = _cache.get(fields)
    if found is not None:
        return found
    unknown = [f for f in fields if f not in USER_PROPERTIES]
    if unknown:
        raise ValueError(f"unknown user properties: {unknown}")
    body = ",".join(f'"{name}":{_FRAGMENTS[name]}' for name in fields)
    lines = ["def _emit(fac, i, core):", "    guest = core[1]", "    h2 = core[8]"]
    if _NAMED & set(fields):
        lines.append("    first, last, display, upn, mail = fac.names(i, guest)")
    if "assignedLicenses" in fields:
        lines.append("    profile = fac.profiles[core[0]]")
    lines.append(f"    return f'''{{{{{body}}}}}'''")
    namespace = dict(_NAMESPACE)
    exec(compile("\n".join(lines), f"<user emitter {','.join(fields)}>", "exec"), namespace)  # noqa: S102
    fn: Emitter = namespace["_emit"]
    with _lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[fields] = fn
    return fn
