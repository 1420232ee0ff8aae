"""Geometry for the ranking page's charts: the SVG bar chart and the heat map's colour steps.

Points stay Decimal everywhere else; floats appear here only as SVG coordinates.
"""
from decimal import ROUND_CEILING, Decimal

from ..points import ZERO, fmt_points
from ..workflow.machine import STATE_LABELS

LABEL_W = 200  # unit names, e.g. 城建监察大队（政策法规科）
BAR_W = 460
VALUE_W = 190
BAR_H = 20
GAP = 8
TOP = 28  # room for the axis labels
HEAT_LEVELS = 5


def _nice_scale(top: Decimal) -> tuple[Decimal, Decimal]:
    """(scale, step): at least the scheme's 100 points, in steps of 20 (or larger)."""
    scale = max(Decimal(100), top)
    step = Decimal(20)
    while scale / step > 6:
        step *= 2
    return (scale / step).to_integral_value(rounding=ROUND_CEILING) * step, step


def bar_chart(rows, scheme_total: Decimal = Decimal(100)) -> dict:
    """Horizontal bars of 合计分, one per ranking row, in the ranking's order."""
    top = max((r.total for r in rows), default=ZERO)
    scale, step = _nice_scale(max(top, scheme_total))
    x0 = LABEL_W
    bars = []
    for n, r in enumerate(rows):
        length = max(ZERO, min(r.total, scale)) / scale * BAR_W
        if r.ranked:
            note = f"第{r.rank}名"
        else:
            note = f"{STATE_LABELS.get(r.state, r.state)}，未排名"
        bars.append({
            "y": TOP + n * (BAR_H + GAP), "label": r.unit_name, "width": _px(length),
            "value": fmt_points(r.total), "note": note, "final": r.ranked, "rank": r.rank,
        })
    ticks = []
    value = ZERO
    while value <= scale:
        ticks.append({"x": _px(x0 + value / scale * BAR_W), "label": fmt_points(value)})
        value += step
    height = TOP + max(len(rows), 1) * (BAR_H + GAP) + 4
    return {"width": LABEL_W + BAR_W + VALUE_W, "height": height, "x0": x0, "bar_w": BAR_W,
            "bar_h": BAR_H, "bars": bars, "ticks": ticks, "axis_bottom": height - 4}


def heat_level(lost: Decimal | None, max_lost: Decimal) -> int | None:
    """0 (nothing lost) … HEAT_LEVELS (the most lost on the map); None while not scored."""
    if lost is None:
        return None
    if lost <= 0 or max_lost <= 0:
        return 0
    level = (lost * HEAT_LEVELS / max_lost).to_integral_value(rounding=ROUND_CEILING)
    return max(1, min(HEAT_LEVELS, int(level)))


def heat_legend(max_lost: Decimal) -> list[dict]:
    """The legend's steps with the range of points each colour stands for."""
    steps = [{"level": 0, "label": "未失分"}]
    if max_lost <= 0:
        return steps
    lower = ZERO
    for level in range(1, HEAT_LEVELS + 1):
        upper = max_lost * level / HEAT_LEVELS
        label = f"≤{fmt_points(upper)}分" if level == 1 else f"{fmt_points(lower)}–{fmt_points(upper)}分"
        steps.append({"level": level, "label": label})
        lower = upper
    return steps


def _px(value) -> Decimal:
    """An SVG coordinate with one decimal, computed in Decimal like every figure here."""
    return Decimal(value).quantize(Decimal("0.1"))
