"""The closest allowed name to a misspelt one, for error messages ("did you mean ...?")."""
from __future__ import annotations

import difflib
from typing import Iterable


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """``"; did you mean X?"`` for the closest of ``options`` to ``word`` (difflib's ratio >= 0.6),
    or ``""`` when none is close."""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1)
    return f"; did you mean {close[0]}?" if close else ""
