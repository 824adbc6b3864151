"""Groups of event kinds reported as one line: inpatient admissions, all GP contacts, hospital.

The shipped groups are declared as data in ``socialrx/data/kind_groups.json``; an evaluation adds
its own with ``Evaluation(kind_groups={"name": [kinds, ...]})`` and a figure takes
``groups=True`` (the shipped groups and the evaluation's) or a mapping of its own.

A group's figure adds up its kinds' counts (and pence) first and takes every rate, change and
interval from the sums: a subtotal of pence is exact, and a group's matched DiD comes from each
person's summed counts (see ``socialrx.did``), never from adding the kinds' intervals.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Union

import numpy as np
import pandas as pd

from ._measures import EVENT_KINDS

__all__ = ["GroupsOption", "check_groups", "resolve_groups", "shipped_groups", "with_group_rows"]

KindGroups = dict[str, tuple[str, ...]]
GroupsOption = Union[bool, None, Mapping[str, Sequence[str]]]
SHIPPED = "data/kind_groups.json"


@cache
def shipped_groups() -> KindGroups:
    """The groups shipped with socialrx: ``inpatient``, ``gp`` and ``hospital``."""
    document = json.loads(resources.files("socialrx").joinpath(SHIPPED).read_text(encoding="utf-8"))
    return check_groups(document["groups"], SHIPPED)


def check_groups(groups: Mapping[str, Sequence[str]], where: str = "kind_groups") -> KindGroups:
    """Groups as name -> kinds, checked: a name that is not itself a kind, and one or more
    distinct kinds of ``EVENT_KINDS``."""
    if not isinstance(groups, Mapping):
        raise ValueError(f"{where}: must map group names to lists of event kinds, got {type(groups).__name__}")
    checked = {}
    for name, kinds in groups.items():
        if not isinstance(name, str) or not name.strip() or name in EVENT_KINDS:
            raise ValueError(f"{where}: group name {name!r} must be a name that is not an event kind")
        if isinstance(kinds, str) or not isinstance(kinds, Sequence) or not kinds:
            raise ValueError(f"{where}[{name!r}]: must be a list of one or more event kinds, got {kinds!r}")
        unknown = [k for k in kinds if k not in EVENT_KINDS]
        if unknown:
            raise ValueError(f"{where}[{name!r}]: {unknown[0]!r} is not an event kind ({', '.join(EVENT_KINDS)})")
        if len(set(kinds)) != len(kinds):
            raise ValueError(f"{where}[{name!r}]: a kind is listed twice in {list(kinds)}")
        checked[name] = tuple(kinds)
    return checked


def resolve_groups(groups: GroupsOption, defined: Mapping[str, Sequence[str]] | None = None) -> KindGroups:
    """The groups a figure adds: none for ``None``/``False``; for ``True`` the shipped groups and
    ``defined`` (an evaluation's own, which may redefine a shipped name); a mapping as given."""
    if groups is None or groups is False:
        return {}
    if groups is True:
        return {**shipped_groups(), **check_groups(defined or {})}
    return check_groups(groups, "groups")


def with_group_rows(frame: pd.DataFrame, groups: KindGroups, *, keys: Sequence[str],
                    sums: Sequence[str]) -> pd.DataFrame:
    """``frame`` (one row per ``keys`` x ``kind``) with, after each block's kind rows, one row per
    group with a kind in the block: ``kind`` the group's name, ``sums`` added over its kinds
    (a nullable column summed over its present values, <NA> where none is), and every other
    column taken from the block's first row (the clients of a window, say)."""
    if not groups or frame.empty:
        return frame
    block = frame.groupby(list(keys), sort=False).ngroup().to_numpy()
    rows, order = [], []
    for name, kinds in groups.items():
        members = frame[frame["kind"].isin(kinds)]
        if members.empty:
            continue
        member_block = block[frame["kind"].isin(kinds).to_numpy()]
        added = members.groupby(member_block, sort=True)[list(sums)].sum(min_count=1)
        first = frame.groupby(block, sort=True).head(1).set_axis(np.unique(block)).loc[added.index]
        row = first.drop(columns=list(sums)).assign(kind=name, **{c: added[c] for c in sums})
        rows.append(row[frame.columns])
        order.append(added.index.to_numpy())
    if not rows:
        return frame
    combined = pd.concat([frame, *rows], ignore_index=True)
    position = np.concatenate([block, *order])
    return combined.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)
