"""Wanted values paired with the live records they replace, so a write keeps record ids.

Cloudflare and DNS Made Easy change a record in place by its id (PATCH, updateMulti):
a record keeps its id, and the settings no change names. :func:`pair_records` decides,
for one (name, type), which live record each wanted value is written to.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

Live = TypeVar("Live")
Wanted = TypeVar("Wanted")


def pair_records(
    current: list[Live],
    wanted: list[Wanted],
    live_key: Callable[[Live], Hashable],
    wanted_key: Callable[[Wanted], Hashable],
) -> tuple[list[tuple[Live, Wanted]], list[Live], list[Wanted]]:
    """(pairs, surplus, missing) for the live records ``current`` and the ``wanted`` values.

    A live record whose key a wanted value has stays with that value; the other wanted
    values take over the remaining live records in order. What is left over: the live
    records to delete (``surplus``) and the values to create (``missing``).
    """
    by_key: dict[Hashable, list[Live]] = {}
    for record in current:
        by_key.setdefault(live_key(record), []).append(record)
    unmatched = list(current)
    pairs: list[tuple[Live, Wanted]] = []
    new: list[Wanted] = []
    for data in wanted:
        same = by_key.get(wanted_key(data))
        if same:
            record = same.pop(0)
            unmatched.remove(record)
            pairs.append((record, data))
        else:
            new.append(data)
    pairs += zip(unmatched, new, strict=False)
    return pairs, unmatched[len(new) :], new[len(unmatched) :]
