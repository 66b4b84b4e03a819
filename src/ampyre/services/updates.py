"""Partial updates: telling "leave this field as it is" apart from "set it to None"."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

T = TypeVar("T")


class Keep(Enum):
    """The value of an update field the caller did not mention: the stored value stays."""

    KEEP = "keep"


KEEP = Keep.KEEP


def merged(new: T | Keep, current: T) -> T:
    """``new`` unless it is ``KEEP``, else ``current``."""
    return current if isinstance(new, Keep) else new
