"""The words of a report's text as the comparisons between reports read them.

Lower case, split on anything that is not a letter, a digit, `-` or `_` (so `checkout-api` and
`max_pending_requests` stay whole), with English stop words and numbers left out: what is left says
what the text is about. `terms` adds each pair of adjacent words that survived ("connection pool"),
which tells more than either word alone.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")
_BREAK = re.compile(r"[.,;:!?()\[\]{}\"]+(?:\s|$)")
"""Where a sentence or a clause ends: no pair of words is made across it."""
STOP_WORDS = frozenset("""
a about above after again against all also an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers him his how i if in into is it its itself just more most no nor not now of off
on once only or other our ours out over own same she should so some such than that the their theirs
them then there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours one two three first second new old every
within without across per via its it's never still yet onto upon got get gets ran run runs made make
makes went go goes took take takes came come needed need nothing something anything everything leaving
left kept keep stayed stay read used use using began begin started start able much many several
""".split())
"""Words too common to say what a text is about."""


def words(text: str) -> list[str]:
    """The meaningful words of `text`, in order: lower case, stop words and numbers left out."""
    out = []
    for word in _WORD.findall(text.casefold()):
        if len(word) < 2 or word in STOP_WORDS or not any(ch.isalpha() for ch in word):
            continue
        out.append(word)
    return out


def terms(text: str) -> list[str]:
    """The words of `text` and each pair of them that stands side by side in it (`connection pool`);
    a pair is not made across a stop word, a number or the end of a clause."""
    out: list[str] = []
    for clause in _BREAK.split(text.casefold()):
        previous = ""
        for word in _WORD.findall(clause):
            if len(word) < 2 or word in STOP_WORDS or not any(ch.isalpha() for ch in word):
                previous = ""
                continue
            out.append(word)
            if previous:
                out.append(f"{previous} {word}")
            previous = word
    return out
