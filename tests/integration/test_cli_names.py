"""Every name `connections list` prints (table, CSV, JSON) is accepted back by every command
that takes a connection or tenant name; "simulated" is a field of its own, never in the name."""

from __future__ import annotations

import csv
import io
import json

from core.cli import main
from core.controller import Controller
from core.simulator.demo import size_draft

NAMES = ["Sim one", "Sim_two 2", "Contoso  HQ"]


def cli(controller: Controller, *argv: str) -> int:
    return main(list(argv), controller_factory=lambda: controller)


def listed(controller: Controller, capsys, fmt: str) -> list[dict[str, str]]:
    assert cli(controller, "connections", "list", "--format", fmt) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        return json.loads(out)
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(out)))
    header, dashes, *rows = out.splitlines()
    spans, start = [], 0
    for dash in dashes.split("  "):
        spans.append((start, start + len(dash)))
        start += len(dash) + 2
    keys = [header[a:b].strip() for a, b in spans]
    return [{k: row[a:b].rstrip() for k, (a, b) in zip(keys, spans, strict=True)} for row in rows]


def test_listed_names_round_trip_through_every_command(controller, capsys) -> None:
    for seed, name in enumerate(NAMES, start=1):
        controller.create_connection(size_draft(f"size:12:{seed}", name=name))
    by_format = {fmt: listed(controller, capsys, fmt) for fmt in ("table", "csv", "json")}
    for fmt, records in by_format.items():
        assert sorted(r["name"] for r in records) == sorted(NAMES), fmt
        expected = {"table": "yes", "csv": "true", "json": "True"}[fmt]  # CSV is data (§8)
        assert {str(r["simulated"]) for r in records} == {expected}

    for name in [r["name"] for r in by_format["table"]]:
        assert cli(controller, "import", name, "--quiet") == 0, name
        assert cli(controller, "connections", "test", name) == 0, name
        capsys.readouterr()
        assert cli(controller, "users", "--tenant", name, "--format", "json") == 0, name
        assert json.loads(capsys.readouterr().out), name
        assert cli(controller, "licenses", "--tenant", name, "--format", "json") == 0, name
        assert {r["connection"] for r in json.loads(capsys.readouterr().out)} == {name}
        assert cli(controller, "history", "--connection", name, "--format", "json") == 0, name
        assert [r["connection"] for r in json.loads(capsys.readouterr().out)] == [name]
    for name in [r["name"] for r in by_format["csv"]]:
        assert cli(controller, "connections", "remove", name) == 0, name
    assert controller.list_connections() == []
