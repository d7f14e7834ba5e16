"""The ledger of synthetic surrogates a cleaned corpus holds: one ``signals.pii.surrogate_key`` a line.

`licenselens clean --pii synthetic` writes it beside the cleaned manifest (``[processing] pii_surrogates``);
a corpus run of that manifest counts the values it lists as surrogates, not as personal data. It holds
digests of synthetic values only: nothing of anyone's.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

HEADER = "# licenselens: digests of the synthetic surrogates of a cleaned corpus (signals.pii.surrogate_key)\n"


class LedgerError(ValueError):
    pass


@lru_cache(maxsize=4)
def read_ledger(path: str) -> frozenset[str]:
    try:
        with open(path, encoding="ascii") as fh:
            return frozenset(line.strip() for line in fh if line.strip() and not line.startswith("#"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"{path}: cannot read the ledger of synthetic surrogates: {exc}") from exc


def ledger_text(keys: Iterable[str]) -> str:
    return HEADER + "".join(f"{key}\n" for key in sorted(set(keys)))
