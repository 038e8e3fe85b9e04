"""French text folding, slugs and stemming, shared by search and slug generation."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "’": "'"})
_WORD = re.compile(r"[a-z0-9]+")

# Snowball's French stop words (the list PostgreSQL's 'french' configuration uses), folded.
_STOPWORDS_TEXT = """
au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me meme
mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton
tu un une vos votre vous c d j l a m n s t y ete etee etees etes etant etante etants etantes
suis es est sommes etes sont serai seras sera serons serez seront serais serait serions seriez
seraient etais etait etions etiez etaient fus fut fumes futes furent sois soit soyons soyez
soient fusse fusses fut fussions fussiez fussent ayant ayante ayantes ayants eu eue eues eus ai
as avons avez ont aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient
avais avait avions aviez avaient eut eumes eutes eurent aie aies ait ayons ayez aient eusse
eusses eussions eussiez eussent
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

_local = threading.local()


def fold(text: str) -> str:
    """Lower case, without accents or ligatures: « Délibérations » → « deliberations »."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES).lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stemmer():
    # Snowball stemmers keep state between calls: one per thread.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("french")
    return stemmer


def words(text: str) -> list[str]:
    """The folded words of a French text, stop words removed."""
    return [w for w in _WORD.findall(fold(text)) if w not in STOPWORDS]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball French stem of a folded word (cached: a catalogue has few distinct words)."""
    return _stemmer().stemWord(word)


def terms(text: str) -> list[str]:
    """The stemmed, folded words of a French text, stop words removed."""
    return [stem(w) for w in words(text)]


def slugify(text: str, max_length: int = 100) -> str:
    return "-".join(_WORD.findall(fold(text)))[:max_length].strip("-")
