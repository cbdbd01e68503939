"""Roles people hold in NorCRIN groups: labels in both languages and the words asking for them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    id: str
    nb: str
    en: str
    rank: int  # order on a card and in a list: leaders before deputies before members
    words: tuple[str, ...]  # phrases in questions that ask for this role (lower case)

    def label(self, language: str) -> str:
        return self.en if language == "en" else self.nb


ROLES: dict[str, Role] = {
    r.id: r
    for r in (
        Role("chair", "styreleder", "chair", 0, ("styreleder", "chair", "chairman", "chairperson")),
        Role(
            "leader",
            "leder",
            "leader",
            1,
            (
                "leder",
                "leader",
                "leads",
                "lead",
                "leading",
                "head",
                "heads",
                "led",
                "ledes",
                "leiar",
                "leier",
                "runs",
                "in charge",
                "ansvarlig",
                "responsible",
            ),
        ),
        Role(
            "deputy_chair",
            "nestleder i styret",
            "deputy chair",
            2,
            ("nestleder i styret", "deputy chair", "vice chair", "vice-chair"),
        ),
        Role(
            "deputy",
            "nestleder",
            "deputy leader",
            3,
            (
                "nestleder",
                "deputy leader",
                "deputy head",
                "vice leader",
                "assisterende leder",
                "deputy",
                "vice",
                "co-lead",
                "nestleiar",
                "stedfortreder",
            ),
        ),
        Role(
            "network_coordinator",
            "nettverkskoordinator",
            "network coordinator",
            4,
            ("nettverkskoordinator", "network coordinator", "koordinator", "coordinator", "nk"),
        ),
        Role(
            "project_leader",
            "prosjektleder",
            "project leader",
            4,
            ("prosjektleder", "project leader", "project manager", "pl"),
        ),
        Role(
            "web_editor",
            "web-redaktør",
            "web editor",
            5,
            (
                "web-redaktør",
                "webredaktør",
                "redaktør",
                "web editor",
                "editor",
                "webmaster",
                "nettsider",
                "nettsidene",
                "nettsiden",
                "hjemmesiden",
                "website",
            ),
        ),
        Role(
            "european_correspondent",
            "europeisk korrespondent (EuCo)",
            "European correspondent (EuCo)",
            5,
            ("europeisk korrespondent", "european correspondent", "euco", "ecrin"),
        ),
        Role("lawyer", "jurist", "lawyer", 5, ("jurist", "lawyer", "legal adviser", "advokat")),
        Role(
            "economist",
            "prosjektøkonom",
            "project economist",
            5,
            ("prosjektøkonom", "økonom", "economist", "finance", "økonomi", "budget", "budsjett"),
        ),
        Role("adviser", "rådgiver", "adviser", 6, ("rådgiver", "adviser", "advisor")),
        Role(
            "board_member",
            "styremedlem",
            "board member",
            6,
            ("styremedlem", "board member", "styremedlemmer"),
        ),
        Role(
            "alternate", "vara", "alternate", 7, ("vara", "varamedlem", "alternate", "substitute")
        ),
        Role(
            "user_representative",
            "brukerrepresentant",
            "user representative",
            7,
            ("brukerrepresentant", "user representative", "patient representative"),
        ),
        Role(
            "local_contact",
            "lokal NorCRIN-kontakt",
            "local NorCRIN contact",
            8,
            (
                "lokal kontakt",
                "local contact",
                "norcrin-kontakt",
                "norcrin contact",
                "kontaktperson",
                "contact person",
            ),
        ),
        Role(
            "member",
            "medlem",
            "member",
            9,
            (
                "medlem",
                "medlemmer",
                "member",
                "members",
                "sitter i",
                "is in",
                "deltar",
                "representant",
                "representative",
            ),
        ),
        Role("observer", "observatør", "observer", 10, ("observatør", "observer")),
    )
}


# Words that name a role only in a question about people ("who runs AP3?"), not in "while the
# trial runs" or "the website": without a who-word or a group they are ordinary words.
WEAK_ROLE_WORDS = frozenset(
    {
        "runs",
        "run",
        "head",
        "heads",
        "lead",
        "leading",
        "led",
        "in charge",
        "responsible",
        "ansvarlig",
        "vice",
        "deltar",
        "is in",
        "sitter i",
        "representant",
        "representative",
        "editor",
        "website",
        "nettsider",
        "nettsidene",
        "nettsiden",
        "hjemmesiden",
        "finance",
        "økonomi",
        "budget",
        "budsjett",
        "ecrin",
        "coordinator",
        "koordinator",
        "contact person",
        "kontaktperson",
    }
)


def role_label(role_id: str, language: str) -> str:
    role = ROLES.get(role_id)
    return role.label(language) if role else role_id


def role_rank(role_id: str) -> int:
    role = ROLES.get(role_id)
    return role.rank if role else 99


# Which roles a group of each kind can have (checked on import and by the data consistency test).
ROLES_BY_GROUP_KIND: dict[str, frozenset[str]] = {
    "work_package": frozenset(
        {"leader", "deputy", "member", "user_representative", "local_contact"}
    ),
    "working_group": frozenset({"leader", "deputy", "member", "local_contact"}),
    "board": frozenset(
        {"chair", "deputy_chair", "board_member", "alternate", "user_representative", "observer"}
    ),
    "committee": frozenset({"chair", "deputy_chair", "member", "observer"}),
    "council": frozenset({"leader", "deputy", "member", "user_representative", "observer"}),
    "secretariat": frozenset(
        {
            "network_coordinator",
            "project_leader",
            "web_editor",
            "european_correspondent",
            "lawyer",
            "economist",
            "adviser",
            "member",
            "local_contact",
        }
    ),
}
# Roles one person holds per group; a second holder from a weaker source is a conflict.
SINGLE_HOLDER_ROLES = frozenset({"leader", "deputy", "chair", "deputy_chair"})
