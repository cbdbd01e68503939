"""The one nb/en message catalogue: every surface and feature picks its words here.

Texts are written in pairs where they are used (`t(language, nb, en)`), so a reader sees both
languages side by side; `Text` is the same pair as a value (form definitions, field problems);
`WORDS` holds the few labels several surfaces share (Submit, Cancel, Choose …), so a button says
the same thing in Slack, the terminal and Teams.
"""

from __future__ import annotations

from dataclasses import dataclass


def t(language: str, nb: str, en: str) -> str:
    """The text in `language` (English for "en", Norwegian otherwise)."""
    return en if language == "en" else nb


@dataclass(frozen=True)
class Text:
    """A text in both languages."""

    nb: str
    en: str

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.nb


WORDS: dict[str, Text] = {
    "submit": Text("Send inn", "Submit"),
    "cancel": Text("Avbryt", "Cancel"),
    "choose": Text("Velg", "Choose"),
    "yes": Text("Ja", "Yes"),
    "no": Text("Nei", "No"),
    "optional": Text("valgfritt", "optional"),
}


def word(key: str, language: str) -> str:
    """A shared label from `WORDS` (a KeyError names a missing one at once)."""
    return WORDS[key].get(language)
