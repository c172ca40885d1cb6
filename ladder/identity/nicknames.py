"""Common English and Spanish given-name nicknames, so that "Bill" and "William" compare as one
name. A nickname shared by two names ("Rick": Richard, Ricardo) has one canonical form (the
first listed, for blocking) and both formal forms (for comparing: "Rick" agrees with either)."""

from __future__ import annotations

import unicodedata

FORMAL: dict[str, tuple[str, ...]] = {
    "william": ("bill", "will", "billy", "willy", "liam"),
    "robert": ("bob", "rob", "bobby", "robbie", "bert"),
    "richard": ("rick", "dick", "rich", "richie", "ricky"), "james": ("jim", "jimmy", "jamie"),
    "john": ("jack", "johnny", "jon"), "michael": ("mike", "mikey", "mick"),
    "thomas": ("tom", "tommy"), "charles": ("charlie", "chuck", "chaz"),
    "daniel": ("dan", "danny"), "matthew": ("matt", "matty"), "steven": ("steve", "stevie"),
    "stephen": ("steve",), "andrew": ("andy", "drew"), "joshua": ("josh",),
    "christopher": ("chris", "topher"), "joseph": ("joe", "joey"), "samuel": ("sam", "sammy"),
    "benjamin": ("ben", "benny", "benji"), "nathan": ("nate",), "nathaniel": ("nate", "nat"),
    "gregory": ("greg",), "edward": ("ed", "eddie", "ted", "ned"), "anthony": ("tony",),
    "alexander": ("alex", "xander", "sasha"), "nicholas": ("nick", "nicky"),
    "jonathan": ("jon", "jonny"), "timothy": ("tim", "timmy"), "kenneth": ("ken", "kenny"),
    "ronald": ("ron", "ronnie"), "donald": ("don", "donnie"), "raymond": ("ray",),
    "lawrence": ("larry",), "gerald": ("gerry", "jerry"), "peter": ("pete",),
    "patrick": ("pat", "paddy"), "douglas": ("doug",), "jacob": ("jake",),
    "terrence": ("terry",), "reginald": ("reggie",), "kendrick": ("kenny",), "dennis": ("denny",),
    "frederick": ("fred", "freddie"), "leonard": ("leo", "lenny"), "zachary": ("zach", "zack"),
    "elizabeth": ("liz", "beth", "betsy", "lizzie", "eliza", "betty"),
    "margaret": ("peggy", "maggie", "meg", "marge", "margie"),
    "katherine": ("kate", "kathy", "katie", "kat", "kay"), "catherine": ("cathy", "cat"),
    "jennifer": ("jen", "jenny"), "patricia": ("pat", "patty", "trish", "tricia"),
    "deborah": ("deb", "debbie"), "susan": ("sue", "suzy", "susie"), "barbara": ("barb", "babs"),
    "abigail": ("abby", "gail"), "jessica": ("jess", "jessie"), "rebecca": ("becky", "becca"),
    "sandra": ("sandy",), "theresa": ("terri", "tess", "tessa"), "christine": ("chris", "tina"),
    "victoria": ("vicky", "tori"), "samantha": ("sam", "sammy"), "pamela": ("pam",),
    "kimberly": ("kim",), "dorothy": ("dot", "dottie"), "kristin": ("kris",),
    "alexandra": ("alex", "lexi", "sandra"), "amanda": ("mandy",), "cynthia": ("cindy",),
    "judith": ("judy",), "melissa": ("missy", "mel"), "stephanie": ("steph",),
    "alejandro": ("alex", "ale"), "francisco": ("paco", "pancho", "frank"), "jose": ("pepe",),
    "guadalupe": ("lupe",), "antonio": ("tony", "toño"), "eduardo": ("eddie", "lalo"),
    "jesus": ("chuy",), "gabriela": ("gaby",), "ricardo": ("rick", "ricky"),
    "roberto": ("beto",), "alberto": ("beto",), "enrique": ("kike",), "ignacio": ("nacho",),
    "manuel": ("manny", "manolo"), "josefina": ("josie", "fina"), "dolores": ("lola",),
    "concepcion": ("concha", "conchita"), "rosario": ("chayo",), "mercedes": ("meche",),
}  # fmt: skip

_CANON: dict[str, str] = {}
_FORMS: dict[str, list[str]] = {}
for _formal, _nicks in FORMAL.items():
    _CANON.setdefault(_formal, _formal)
    _FORMS.setdefault(_formal, [_formal])
    for _nick in _nicks:
        _CANON.setdefault(_nick, _formal)
        _FORMS.setdefault(_nick, []).append(_formal)


def _plain(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def canonical_first_name(name: str | None) -> str | None:
    """The formal form of a given name ("Bill" → "william"), lower-cased and unaccented."""
    if not name:
        return None
    plain = _plain(name.split()[0]) if name.split() else ""
    return _CANON.get(plain, plain) or None


def formal_forms(name: str | None) -> list[str]:
    """Every formal name ``name`` can be short for ("Rick" → richard, ricardo), itself for
    a formal or unknown name; empty for no name."""
    if not name or not name.split():
        return []
    plain = _plain(name.split()[0])
    return sorted(_FORMS.get(plain, [plain])) if plain else []


__all__ = ["FORMAL", "canonical_first_name", "formal_forms"]
