"""Import files are untrusted: aliases, size, formulas, BOMs, organisation names, line numbers,
and re-imports that change nothing say so."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from storage.loader import (
    DataFileError,
    export_text,
    import_file,
    neutralise_cell,
    restore_cell,
)
from storage.models import Membership, Person
from tests.test_cli import run

ALIAS_BOMB = (
    "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9)
    )
    + "people: *j\n"
)


def test_a_yaml_alias_bomb_is_refused_fast_with_bounded_memory(db, tmp_path):
    assert len(ALIAS_BOMB.encode()) <= 1024  # 10**10 items if expanded
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB, encoding="utf-8")
    tracemalloc.start()
    started = time.thread_time()  # this thread: other threads of the worker are not the import
    try:
        with pytest.raises(DataFileError) as info, db.session() as session:
            import_file(session, "people", path)
        elapsed = time.thread_time() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "aliases" in str(info.value) and "line 2" in str(info.value)
    assert elapsed < 1.0
    assert peak < 20_000_000


def test_deeply_nested_yaml_is_refused_not_crashed(db, tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(DataFileError, match="nested too deeply"), db.session() as session:
        import_file(session, "people", path)


def test_a_file_over_the_size_limit_is_refused_naming_the_limit(sqlite_url, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("name,organisation\n" + "A B,UNN\n" * 200, encoding="utf-8")
    result = run(["import", "people", str(path)], sqlite_url, IMPORT_MAX_BYTES="1000")
    assert result.returncode == 1
    assert "import limit of 1,000 bytes" in result.stderr and "IMPORT_MAX_BYTES" in result.stderr
    assert "Traceback" not in result.stderr
    bad = run(["import", "people", str(path)], sqlite_url, IMPORT_MAX_BYTES="lots")
    assert bad.returncode == 2 and "IMPORT_MAX_BYTES" in bad.stderr


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx", "'=x"],
)
def test_formula_cells_are_neutralised_and_restored(value):
    cell = neutralise_cell(value)
    assert cell.startswith("'")
    assert restore_cell(cell) == value


@pytest.mark.parametrize("value", ["Kari", "'quoted", "a=b", "+", "x-y"])
def test_plain_cells_are_left_alone(value):
    if value != "+":
        assert neutralise_cell(value) == value
    assert restore_cell(neutralise_cell(value)) == value


def test_csv_export_has_no_live_formulas_and_imports_back(db, tmp_path):
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(
        '- name: \'=HYPERLINK("http://evil","x")\'\n'
        "  id: evil\n  organisation: UNN\n  phone: '+47 22 11 00 00'\n"
        "  memberships: [{group: AP8, role: member, note: '@SUM(1+1)'}]\n",
        encoding="utf-8",
    )
    with db.session() as session:
        import_file(session, "people", hostile)
        text = export_text(session, "people", ".csv")
    for line in text.splitlines():
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), line
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    with db.session() as session:
        summary = import_file(session, "people", path)
        evil = session.get(Person, "evil")
        assert evil.name == '=HYPERLINK("http://evil","x")' and evil.phone == "+47 22 11 00 00"
        assert evil.memberships[0].note == "@SUM(1+1)"
    assert summary.changed == 0


def test_csv_with_a_bom_keeps_its_id_column(db, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(
        "\ufeffid,name,organisation,group,role\nkari-n,Kari Nordmann,UNN,AP8,member\n".encode()
    )
    with db.session() as session:
        import_file(session, "people", path)
        assert session.get(Person, "kari-n").name == "Kari Nordmann"


def test_csv_round_trip_keeps_source(db, tmp_path):
    source_file = tmp_path / "web.csv"
    source_file.write_text(
        "name,organisation,group,role\nKari Nordmann,UNN,AP8,member\n", encoding="utf-8"
    )
    with db.session() as session:
        import_file(session, "people", source_file, source="web:https://example.org/p@2025-01-02")
        text = export_text(session, "people", ".csv")
        session.execute(
            Membership.__table__.delete().where(Membership.person_id == "kari-nordmann")
        )
        session.delete(session.get(Person, "kari-nordmann"))
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    with db.session() as session:
        import_file(session, "people", path)
        kari = session.get(Person, "kari-nordmann")
        assert kari.provenance["kind"] == "web" and kari.provenance["date"] == "2025-01-02"
        assert kari.source == "web"
        assert kari.memberships[0].provenance == kari.provenance
        moe = session.get(Person, "cecilie-moe")
        assert moe.provenance["kind"] == "report" and moe.source == "annual-report-2024"


@pytest.mark.parametrize(
    "written, expected",
    [("ST. OLAVS", "STOLAV"), ("Haukeland", "HUS"), ("Helse Bergen", "HUS"), ("unn", "UNN")],
)
def test_organisation_names_the_bot_understands_are_accepted(db, tmp_path, written, expected):
    path = tmp_path / "people.csv"
    path.write_text(
        f"name,organisation,group,role\nKari Nordmann,{written},AP8,member\n", encoding="utf-8"
    )
    with db.session() as session:
        import_file(session, "people", path)
        assert session.get(Person, "kari-nordmann").organisation_id == expected


def test_an_unknown_organisation_lists_the_valid_ids(db, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("name,organisation\nKari Nordmann,Rikshospitalet Vest\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info, db.session() as session:
        import_file(session, "people", path)
    message = str(info.value)
    assert "line 2" in message and "'organisation'" in message
    for org_id in ("AHUS", "HUS", "OUS", "STOLAV", "SUS", "UNN"):
        assert org_id in message


@pytest.mark.parametrize(
    "suffix, content",
    [
        (
            ".yaml",
            "- name: Kari Nordmann\n  organisation: UNN\n  memberships:\n"
            "  - {group: AP99, role: member}\n",
        ),
        (
            ".yaml",
            "- name: Kari Nordmann\n  memberships:\n  - {group: AP8, role: member}\n"
            "  - group: AP99\n    role: member\n",
        ),
        (
            ".csv",
            "name,organisation,group,role\nKari N,UNN,AP8,member\nOla N,UNN,AP9,member\n"
            "Kari N,UNN,AP99,member\n",
        ),
    ],
)
def test_an_unknown_group_on_line_4_is_reported_on_line_4(db, tmp_path, suffix, content):
    path = tmp_path / f"people{suffix}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFileError) as info, db.session() as session:
        import_file(session, "people", path)
    assert f"{path}, line 4: field 'group' unknown group 'AP99'" in str(info.value)
    with db.session() as session:  # nothing half-written
        assert session.get(Person, "kari-nordmann") is None
        assert session.get(Person, "kari-n") is None


def test_a_role_must_fit_the_kind_of_group(db, tmp_path):
    path = tmp_path / "people.yaml"
    path.write_text(
        "- name: Kari Nordmann\n  memberships:\n  - {group: STYRET, role: leader}\n",
        encoding="utf-8",
    )
    expected = r"line 3: field 'role' 'leader' is not a role in a board"
    with pytest.raises(DataFileError, match=expected), db.session() as session:
        import_file(session, "people", path)


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_reimporting_an_unchanged_export_reports_0_changed(sqlite_url, tmp_path, suffix):
    path = tmp_path / f"people{suffix}"
    exported = run(["export", "people", str(path)], sqlite_url)
    assert exported.returncode == 0, exported.stderr
    result = run(["import", "people", str(path)], sqlite_url)
    assert result.returncode == 0, result.stderr
    assert "0 changed (0 created, 0 updated, 103 unchanged)" in result.stderr


def test_changes_are_counted(db, tmp_path):
    path = tmp_path / "people.yaml"
    with db.session() as session:
        path.write_text(export_text(session, "people", ".yaml"), encoding="utf-8")
    text = path.read_text(encoding="utf-8").replace(
        "name: Cecilie Moe\n", "name: Cecilie Moe\n  email: cm@ous-hf.no\n"
    )
    path.write_text(text + "- {name: Kari Nordmann, organisation: UNN}\n", encoding="utf-8")
    with db.session() as session:
        summary = import_file(session, "people", path)
    assert (summary.created, summary.updated, summary.changed) == (1, 1, 2)
    assert str(summary).startswith("2 changed (1 created, 1 updated, 102 unchanged)")


def test_yaml_export_keeps_person_and_membership_sources(db):
    import yaml

    with db.session() as session:
        exported = yaml.safe_load(export_text(session, "people", ".yaml"))
    rita = next(p for p in exported if p["id"] == "rita-halvorsen")
    assert rita["source"]["kind"] == "report" and rita["source"]["lines"] == "336-343"
    leads = next(m for m in rita["memberships"] if m["group"] == "BRUKERRAD")
    assert leads["source"]["inferred"] is True and leads["source"]["lines"] == "1062-1066"
