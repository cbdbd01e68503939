"""Importing and exporting people and documents: upserts, one transaction, precise errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from storage.loader import DataFileError, export_text, import_file
from storage.models import Document, Membership, Person


def count(db, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_people_yaml_upserts_and_reruns_without_duplicates(db, tmp_path: Path):
    path = tmp_path / "people.yaml"
    path.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Kari Nordmann",
                    "organisation": "UNN",
                    "email": "kari@unn.no",
                    "slack_user_id": "U777",
                    "memberships": [
                        {"group": "AP8", "role": "member"},
                        {"group": "SEKR", "role": "local_contact"},
                    ],
                },
                {
                    "id": "cecilie-moe",
                    "name": "Cecilie Moe",
                    "organisation": "OUS",
                    "phone": "+47 22 11 00 00",
                    "memberships": [{"group": "AP8", "role": "leader"}],
                },
            ],
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    people_before, memberships_before = count(db, Person), count(db, Membership)
    for _ in range(2):
        with db.session() as session:
            import_file(session, "people", path)
    assert count(db, Person) == people_before + 1
    assert count(db, Membership) == memberships_before + 2
    with db.session() as session:
        kari = session.get(Person, "kari-nordmann")
        assert kari.email == "kari@unn.no" and kari.slack_user_id == "U777"
        assert session.get(Person, "cecilie-moe").phone == "+47 22 11 00 00"


def test_imported_contact_data_reaches_the_answer(bot, tmp_path: Path):
    from bot.replies import Message
    from bot.replies import Person as Sender

    path = tmp_path / "contacts.csv"
    path.write_text(
        "name,organisation,email,group,role\nKari Nordmann,UNN,kari@unn.no,SEKR,local_contact\n",
        encoding="utf-8",
    )
    with bot.services.db.session() as session:
        import_file(session, "people", path)
    [reply] = bot.handle(Message("who is the local NorCRIN contact at UNN", Sender("cli", "t")))
    assert reply.results[0].label == "Kari Nordmann"
    assert "kari@unn.no" in reply.text


@pytest.mark.parametrize(
    "content, suffix, line, field",
    [
        (
            "name,organisation,group,role\nA B,UNN,AP8,member\nC D,NOWHERE,AP8,member\n",
            ".csv",
            3,
            "organisation",
        ),
        ("name,organisation,group,role\nA B,UNN,AP99,member\n", ".csv", 2, "group"),
        ("name,organisation,group,role\nA B,UNN,AP8,boss\n", ".csv", 2, "role"),
        ("- name: Ok Person\n- name: Bad Mail\n  email: not-an-address\n", ".yaml", 2, "email"),
        (
            "- name: A\n  memberships: [{group: AP8, role: member}]\n- organisation: UNN\n",
            ".yaml",
            3,
            "name",
        ),
    ],
)
def test_bad_people_row_aborts_everything_and_names_file_line_field(
    db, tmp_path, content, suffix, line, field
):
    path = tmp_path / f"bad{suffix}"
    path.write_text(content, encoding="utf-8")
    before = (count(db, Person), count(db, Membership))
    with pytest.raises(DataFileError) as info, db.session() as session:
        import_file(session, "people", path)
    message = str(info.value)
    assert str(path) in message
    assert f"line {line}" in message
    assert f"'{field}'" in message
    assert (count(db, Person), count(db, Membership)) == before


def test_malformed_yaml_names_the_line(db, tmp_path):
    path = tmp_path / "docs.yaml"
    path.write_text("- id: X 1\n  title_en: ok\n- id: [unclosed\n", encoding="utf-8")
    with (
        pytest.raises(DataFileError, match=r"docs\.yaml, line \d+: .*not valid YAML"),
        db.session() as s,
    ):
        import_file(s, "documents", path)


def test_documents_csv_upsert_and_searchable(bot, tmp_path):
    from bot.replies import Message
    from bot.replies import Person as Sender

    path = tmp_path / "docs.csv"
    path.write_text(
        "id,title_no,title_en,kind,area,url,keywords\n"
        "LM 9.99,Mal for kaffeavtale,Coffee agreement template,template,LM,"
        "https://example.org/kaffe,kaffe; coffee\n",
        encoding="utf-8",
    )
    before = count(bot.services.db, Document)
    for _ in range(2):
        with bot.services.db.session() as session:
            import_file(session, "documents", path)
    assert count(bot.services.db, Document) == before + 1
    [reply] = bot.handle(Message("kaffeavtale", Sender("cli", "t")))
    assert reply.results[0].id == "LM 9.99"


def test_duplicate_document_code_in_one_file_is_an_error(db, tmp_path):
    path = tmp_path / "docs.yaml"
    path.write_text("- {id: A, title_en: One}\n- {id: A, title_en: Two}\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"line 2.*appears twice"), db.session() as session:
        import_file(session, "documents", path)


def test_bad_url_is_rejected(db, tmp_path):
    path = tmp_path / "docs.yaml"
    path.write_text("- {id: A, title_en: One, url: 'javascript:alert(1)'}\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="'url'"), db.session() as session:
        import_file(session, "documents", path)


@pytest.mark.parametrize("kind", ["people", "documents"])
@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_export_then_import_round_trips(db, tmp_path, kind, suffix):
    with db.session() as session:
        text = export_text(session, kind, suffix)
    path = tmp_path / f"{kind}{suffix}"
    path.write_text(text, encoding="utf-8")
    model = Person if kind == "people" else Document
    before = count(db, model)
    with db.session() as session:
        summary = import_file(session, kind, path)
    assert count(db, model) == before
    assert summary.created == 0
