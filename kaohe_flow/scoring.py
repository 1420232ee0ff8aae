"""Item scores from deduction rules (附件2 计分办法).

An item's score is 0 if any zeroing event (不得分) fired, else the standard less the sum of
per-occurrence deductions, floored at 0 (扣完为止). The 年度目标任务 item's `target` rule works
like a zeroing rule for the item as a whole until target letters are entered.
"""
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

ZERO = Decimal("0")


class Occurrence(NamedTuple):
    kind: str  # per_occurrence | zeroing | target
    points: Decimal
    count: int = 1


def suggested_score(standard: Decimal, occurrences: Iterable[Occurrence] = ()) -> Decimal:
    """The score the recorded occurrences suggest for one item."""
    lost = ZERO
    for occ in occurrences:
        if occ.kind in ("zeroing", "target"):
            return ZERO
        lost += occ.points * occ.count
    return max(ZERO, standard - lost)
