"""Ranges of MongoDB ``_id`` values, and the restriction tracker that reads one exactly once.

MongoDB compares values of different types by "type bracket" (numbers < strings < ObjectIds),
and a query's ``$gte``/``$lt`` only match values of the bound's own bracket. So a range never
spans two brackets: a collection whose ``_id``\\ s mix integers, strings and ObjectIds is read
as one range per bracket. Within a bracket a range is ``[start, stop)`` and Python's own
ordering of the values (numbers; strings by code point, which is UTF-8 byte order; ObjectIds by
their 12 bytes) is MongoDB's.

A split point only has to lie strictly between the last claimed ``_id`` and ``stop``: the
two halves are then ``[start, s)`` and ``[s, stop)``, which cover the range exactly whatever
``_id``\\ s exist. Interpolation (``position_at``) only decides where the work divides.
"""

import math
from typing import Any, NamedTuple, Optional, Tuple

from apache_beam.io.iobase import RestrictionProgress, RestrictionTracker
from bson import ObjectId

# The brackets photophone reads, each with the BSON type names a ``$type`` query uses.
BRACKETS = {
    "number": ["int", "long", "double"],
    "string": ["string"],
    "objectId": ["objectId"],
}
_MAX_INT64 = 2**63 - 1
# Strings interpolate as numbers in this base (one digit per code point).
_UNICODE = 0x110000


def bracket_of(value: Any) -> Optional[str]:
    """The bracket of an ``_id`` value, or None for types photophone cannot range over."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, ObjectId):
        return "objectId"
    return None


def successor(value: Any) -> Any:
    """A value of the same bracket just above ``value`` (an exclusive bound that includes it)."""
    if isinstance(value, ObjectId):
        as_int = int.from_bytes(value.binary, "big") + 1
        if as_int >= 1 << 96:
            raise ValueError("no ObjectId above ffffffffffffffffffffffff")
        return ObjectId(as_int.to_bytes(12, "big"))
    if isinstance(value, str):
        return value + "\x00"
    if isinstance(value, int):
        # BSON integers stop at int64; infinity is a number above all of them.
        return value + 1 if value < _MAX_INT64 else math.inf
    return math.nextafter(value, math.inf)


def _str_digits(s: str, length: int) -> int:
    n = 0
    for i in range(length):
        n = n * _UNICODE + (ord(s[i]) if i < len(s) else 0)
    return n


def _digits_str(n: int, length: int) -> str:
    points = []
    for _ in range(length):
        n, d = divmod(n, _UNICODE)
        points.append(d)
    points.reverse()
    for i, d in enumerate(points):
        if 0xD800 <= d < 0xE000:
            # Surrogates do not encode: round up to the next string that does (order kept).
            points[i:] = [0xE000] + [0] * (len(points) - i - 1)
            break
    return "".join(map(chr, points)).rstrip("\x00")


def position_at(low: Any, high: Any, fraction: float) -> Any:
    """A value about ``fraction`` of the way from ``low`` to ``high`` (same bracket)."""
    if isinstance(low, ObjectId):
        a, b = (int.from_bytes(v.binary, "big") for v in (low, high))
        return ObjectId((a + int((b - a) * fraction)).to_bytes(12, "big"))
    if isinstance(low, str):
        length = max(len(low), len(high)) + 2  # two more digits leave room between neighbours
        a, b = _str_digits(low, length), _str_digits(high, length)
        return _digits_str(a + int((b - a) * fraction), length)
    if isinstance(low, int) and isinstance(high, int):
        return low + int((high - low) * fraction)
    if math.isinf(high):
        high = max(float(low), 0.0) * 2 + 1e9
    return low + (high - low) * fraction


class IdRange(NamedTuple):
    """``_id`` values ``[start, stop)`` of one bracket, holding about ``count`` photos."""

    bracket: str
    start: Any
    stop: Any
    count: int

    def query(self) -> dict:
        return {"_id": {"$type": BRACKETS[self.bracket], "$gte": self.start, "$lt": self.stop}}


class _End:
    """Claimed after the last document: the whole range has been read."""


END = _End()


class IdRangeTracker(RestrictionTracker):
    """Claims ``_id``\\ s of an :class:`IdRange` in ascending order; splits it for the runner.

    Progress is counted in documents (the range's ``count`` came from ``$bucketAuto`` or a
    count), so a runner sees how much of a range is left without another query.
    """

    def __init__(self, restriction: IdRange):
        self._range = restriction
        self._last: Any = None  # the last _id claimed
        self._claimed = 0
        self._done = False

    def current_restriction(self) -> IdRange:
        return self._range

    def current_progress(self) -> RestrictionProgress:
        remaining = 0 if self._done else max(self._range.count - self._claimed, 1)
        return RestrictionProgress(completed=self._claimed, remaining=remaining)

    def try_claim(self, position: Any) -> bool:
        if position is END or position >= self._range.stop:
            self._done = True
            return False
        if self._last is not None and position <= self._last:
            raise ValueError(f"_id {position!r} claimed after {self._last!r}: ids must ascend")
        self._last = position
        self._claimed += 1
        return True

    def try_split(self, fraction_of_remainder: float) -> Optional[Tuple[IdRange, IdRange]]:
        if self._done:
            return None
        low = self._range.start if self._last is None else self._last
        if fraction_of_remainder <= 0 and self._last is not None:
            split = successor(self._last)  # checkpoint: keep only what is claimed
        else:
            split = position_at(low, self._range.stop, fraction_of_remainder)
        past_claimed = split > self._last if self._last is not None else split > self._range.start
        if not (past_claimed and split < self._range.stop):
            return None
        left = max(self._range.count - self._claimed, 0)
        moved = int(round(left * (1 - fraction_of_remainder)))
        r = self._range
        primary = IdRange(r.bracket, r.start, split, max(r.count - moved, self._claimed))
        residual = IdRange(r.bracket, split, r.stop, moved)
        self._range = primary
        return primary, residual

    def check_done(self) -> None:
        if not self._done:
            raise ValueError(f"range {self._range} was not read to its end (last claimed: {self._last!r})")

    def is_bounded(self) -> bool:
        return True
