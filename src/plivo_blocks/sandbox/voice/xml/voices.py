"""The voices and languages ``<Speak>`` accepts, as Plivo documents them.

* ``WOMAN`` and ``MAN`` speak the languages of Plivo's ``<Speak>`` table (docs "Audio output",
  "Supported languages"), not every language in both voices. A language the chosen voice does not
  speak ends the call with ``Invalid Answer XML`` on Plivo (observed for ``hi-IN`` with ``WOMAN``).
* ``Polly.<Name>`` selects an Amazon Polly voice (docs "SSML": "Polly voices must be namespaced with
  a Polly prefix"). The names are Amazon Polly's standard voices and the neural ones Plivo's
  Polly integration offers, each with its language. Plivo does not document a check of
  ``language`` against a Polly voice (the voice decides the language), so the sandbox only asks
  that ``language`` be a language Polly speaks.
* Polly speaks at most :data:`POLLY_MAX_CHARACTERS` characters per ``<Speak>`` (docs "SSML").
"""

from __future__ import annotations

from dataclasses import dataclass

from plivo_blocks.sandbox.voice.xml.rules import Rule

__all__ = ["BASIC_LANGUAGES", "POLLY_MAX_CHARACTERS", "POLLY_VOICES", "Language", "Voice", "voice_problem"]

WOMAN, MAN = "WOMAN", "MAN"
POLLY_PREFIX = "Polly."
POLLY_MAX_CHARACTERS = 3000

#: Plivo's WOMAN/MAN table: language code -> the voices that speak it.
BASIC_LANGUAGES: dict[str, tuple[str, ...]] = {
    "da-DK": (WOMAN,),
    "nl-NL": (WOMAN, MAN),
    "en-AU": (WOMAN, MAN),
    "en-GB": (WOMAN, MAN),
    "en-US": (WOMAN, MAN),
    "fr-FR": (WOMAN, MAN),
    "fr-CA": (WOMAN,),
    "de-DE": (WOMAN, MAN),
    "it-IT": (WOMAN, MAN),
    "pl-PL": (WOMAN, MAN),
    "pt-PT": (MAN,),
    "pt-BR": (WOMAN, MAN),
    "ru-RU": (WOMAN,),
    "es-ES": (WOMAN, MAN),
    "es-US": (WOMAN, MAN),
    "sv-SE": (WOMAN,),
}

_POLLY_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "arb": ("Zeina",),
    "cmn-CN": ("Zhiyu",),
    "cy-GB": ("Gwyneth",),
    "da-DK": ("Naja", "Mads"),
    "de-DE": ("Marlene", "Vicki", "Hans"),
    "en-AU": ("Nicole", "Russell"),
    "en-GB": ("Amy", "Emma", "Brian", "Amy-Neural", "Emma-Neural", "Brian-Neural"),
    "en-GB-WLS": ("Geraint",),
    "en-IN": ("Aditi", "Raveena"),
    "en-US": (
        "Ivy",
        "Joanna",
        "Kendra",
        "Kimberly",
        "Salli",
        "Joey",
        "Justin",
        "Matthew",
        "Ivy-Neural",
        "Joanna-Neural",
        "Kendra-Neural",
        "Kimberly-Neural",
        "Salli-Neural",
        "Joey-Neural",
        "Justin-Neural",
        "Matthew-Neural",
    ),
    "es-ES": ("Conchita", "Lucia", "Enrique"),
    "es-MX": ("Mia",),
    "es-US": ("Lupe", "Penelope", "Miguel", "Lupe-Neural"),
    "fr-CA": ("Chantal",),
    "fr-FR": ("Celine", "Lea", "Mathieu"),
    "hi-IN": ("Aditi",),
    "is-IS": ("Dora", "Karl"),
    "it-IT": ("Carla", "Bianca", "Giorgio"),
    "ja-JP": ("Mizuki", "Takumi"),
    "ko-KR": ("Seoyeon",),
    "nb-NO": ("Liv",),
    "nl-NL": ("Lotte", "Ruben"),
    "pl-PL": ("Ewa", "Maja", "Jacek", "Jan"),
    "pt-BR": ("Camila", "Vitoria", "Ricardo", "Camila-Neural"),
    "pt-PT": ("Ines", "Cristiano"),
    "ro-RO": ("Carmen",),
    "ru-RU": ("Tatyana", "Maxim"),
    "sv-SE": ("Astrid",),
    "tr-TR": ("Filiz",),
}

#: Polly voice name -> its languages.
POLLY_VOICES: dict[str, tuple[str, ...]] = {}
for _language, _names in _POLLY_BY_LANGUAGE.items():
    for _name in _names:
        POLLY_VOICES[_name] = (*POLLY_VOICES.get(_name, ()), _language)

POLLY_LANGUAGES = tuple(_POLLY_BY_LANGUAGE)
ALL_LANGUAGES = tuple(dict.fromkeys((*BASIC_LANGUAGES, *POLLY_LANGUAGES)))


def _canonical(options: tuple[str, ...], text: str) -> str | None:
    for option in options:
        if option.lower() == text.lower():
            return option
    return None


@dataclass(frozen=True)
class Voice(Rule[str]):
    accepts: str = "WOMAN, MAN, or an Amazon Polly voice written Polly.<Name> (such as Polly.Joanna)"

    def parse(self, text: str) -> str:
        stripped = text.strip()
        basic = _canonical((WOMAN, MAN), stripped)
        if basic is not None:
            return basic
        if stripped.startswith(POLLY_PREFIX):
            name = _canonical(tuple(POLLY_VOICES), stripped.removeprefix(POLLY_PREFIX))
            if name is not None:
                return POLLY_PREFIX + name
            raise ValueError(f"is not a Polly voice Plivo offers (known: {', '.join(sorted(POLLY_VOICES))})")
        raise ValueError(f"must be {self.accepts}")


@dataclass(frozen=True)
class Language(Rule[str]):
    accepts: str = "a language code from Plivo's Speak or Polly tables, such as en-US"

    def parse(self, text: str) -> str:
        found = _canonical(ALL_LANGUAGES, text.strip())
        if found is None:
            raise ValueError(f"must be {self.accepts} (known: {', '.join(ALL_LANGUAGES)})")
        return found


def voice_problem(voice: str, language: str, text: str) -> str | None:
    """Why Plivo would not speak ``text`` with ``voice`` in ``language`` (None when it would)."""
    if voice.startswith(POLLY_PREFIX):
        if language not in POLLY_LANGUAGES:
            return f"language={language!r}: Polly voices speak {', '.join(POLLY_LANGUAGES)}"
        if len(text) > POLLY_MAX_CHARACTERS:
            return f"a Polly voice speaks at most {POLLY_MAX_CHARACTERS} characters, got {len(text)}"
        return None
    speakers = BASIC_LANGUAGES.get(language, ())
    if voice not in speakers:
        spoken = ", ".join(code for code, voices in BASIC_LANGUAGES.items() if voice in voices)
        return (
            f"voice={voice!r} does not speak language={language!r} ({voice} speaks {spoken}; "
            "other languages need a Polly voice)"
        )
    return None
