"""The opinion groups as a server-rendered SVG, and the rows of its table alternative.

Each participant is a small mark placed by the first two principal components of their votes;
a group is told apart by its shape AND its colour (never colour alone), named in a legend
inside the picture, and described for screen readers by <title> and <desc>. The page shows
the same facts as a table (`group_rows`), so nothing is only in the picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

WIDTH = 640
PLOT_HEIGHT = 400
MARGIN = 16
LEGEND_ROW = 24

# Colours with at least 3:1 contrast against white (WCAG 1.4.11), told apart by shape too.
COLOURS = ("#0b5cad", "#b3411a", "#1a7f4b", "#7b3f9e", "#7a5500")
# Each mark centred on (0, 0), about 8 px across.
SHAPES = (
    '<circle r="3.6"/>',
    '<rect x="-3.2" y="-3.2" width="6.4" height="6.4"/>',
    '<path d="M0,-4.2 L3.9,3 L-3.9,3 Z"/>',
    '<path d="M0,-4.4 L4.4,0 L0,4.4 L-4.4,0 Z"/>',
    '<path d="M-4,-1.4 H-1.4 V-4 H1.4 V-1.4 H4 V1.4 H1.4 V4 H-1.4 V1.4 H-4 Z"/>',
)
SHAPE_NAMES = (
    gettext_lazy("circles"),
    gettext_lazy("squares"),
    gettext_lazy("triangles"),
    gettext_lazy("diamonds"),
    gettext_lazy("crosses"),
)
COLOUR_NAMES = (
    gettext_lazy("blue"),
    gettext_lazy("red"),
    gettext_lazy("green"),
    gettext_lazy("purple"),
    gettext_lazy("brown"),
)


@dataclass
class GroupRow:
    """One group as the table alternative and the lists show it."""

    label: str
    size: int
    marks: str  # e.g. "blue circles"
    agree: list[dict[str, Any]] = field(default_factory=list)
    disagree: list[dict[str, Any]] = field(default_factory=list)


def marks_of(index: int) -> str:
    """How the group's marks look, in words: "blue circles"."""
    i = index % len(SHAPES)
    return _("%(colour)s %(shapes)s") % {"colour": COLOUR_NAMES[i], "shapes": SHAPE_NAMES[i]}


def group_rows(result: dict[str, Any], texts: dict[int, str]) -> list[GroupRow]:
    """The groups of a stored result, each with its representative statements (text, shares
    in and outside the group) split by direction. Statements no longer known are left out."""
    rows = []
    for index, group in enumerate(result.get("groups", [])):
        row = GroupRow(label=group["label"], size=group["size"], marks=marks_of(index))
        for share in group.get("representative", []):
            text = texts.get(share["statement"])
            if text is None:
                continue
            item = {**share, "text": text}
            for key in ("agree", "disagree", "passed", "agree_outside", "disagree_outside"):
                item[f"{key}_percent"] = round(100 * share[key])
            (row.agree if share["direction"] == "agree" else row.disagree).append(item)
        rows.append(row)
    return rows


def _scale(values: list[float], low: float, high: float) -> tuple[float, float]:
    """(offset, factor) mapping the values' range onto [low, high] (centre when flat)."""
    lo, hi = min(values), max(values)
    if hi - lo < 1e-12:
        return (low + high) / 2, 0.0
    factor = (high - low) / (hi - lo)
    return low - lo * factor, factor


def opinion_svg(
    result: dict[str, Any], *, viewer_id: int | None = None, id_prefix: str = "opinion"
) -> SafeString:
    """The SVG of a stored result ("" when it has no points)."""
    points = result.get("points") or []
    groups = result.get("groups") or []
    if not points or not groups:
        return mark_safe("")
    xs = [float(p[1]) for p in points]
    ys = [float(p[2]) for p in points]
    x0, fx = _scale(xs, MARGIN, WIDTH - MARGIN)
    # y grows downwards in SVG: the highest value at the top.
    y0, fy = _scale([-y for y in ys], MARGIN, PLOT_HEIGHT - MARGIN)
    legend_rows = (len(groups) + 1) // 2
    height = PLOT_HEIGHT + 12 + legend_rows * LEGEND_ROW + (LEGEND_ROW if viewer_id else 0)
    title = _("Opinion groups: where each participant stands")
    summary = "; ".join(
        _("group %(label)s: %(size)d participants, shown as %(marks)s")
        % {"label": g["label"], "size": g["size"], "marks": marks_of(i)}
        for i, g in enumerate(groups)
    )
    desc = _(
        "Each mark is one participant, placed by how they voted: participants who vote alike "
        "stand close together. The axes have no unit. %(groups)s. The table below gives the "
        "same facts."
    ) % {"groups": summary[:1].upper() + summary[1:]}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="opinion-plot" viewBox="0 0 {WIDTH} '
        f'{height}" width="100%" role="img" aria-labelledby="{id_prefix}-title '
        f'{id_prefix}-desc" focusable="false">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(desc)}</desc>',
        "<defs>",
    ]
    for i in range(len(groups)):
        colour = COLOURS[i % len(COLOURS)]
        shape = SHAPES[i % len(SHAPES)].replace(
            "/>",
            f' id="{id_prefix}-g{i}" fill="{colour}" fill-opacity="0.6" stroke="{colour}" '
            'stroke-width="0.8"/>',
            1,
        )
        out.append(shape)
    out.append("</defs>")
    out.append(
        f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="{PLOT_HEIGHT - 1}" fill="#fff" '
        'stroke="#6f6f6f"/>'
    )
    mine: tuple[float, float] | None = None
    for pid, x, y, g in points:
        px, py = x0 + fx * float(x), y0 + fy * -float(y)
        out.append(f'<use href="#{id_prefix}-g{int(g)}" x="{px:.1f}" y="{py:.1f}"/>')
        if viewer_id is not None and int(pid) == viewer_id:
            mine = (px, py)
    if mine is not None:
        out.append(
            f'<circle cx="{mine[0]:.1f}" cy="{mine[1]:.1f}" r="9" fill="none" stroke="#000" '
            'stroke-width="2"/>'
        )
    top = PLOT_HEIGHT + 12
    for i, group in enumerate(groups):
        column, row = i % 2, i // 2
        lx, ly = 12 + column * (WIDTH // 2), top + row * LEGEND_ROW + 8
        label = _("Group %(label)s: %(size)d participants (%(marks)s)") % {
            "label": group["label"],
            "size": group["size"],
            "marks": marks_of(i),
        }
        out.append(f'<use href="#{id_prefix}-g{i}" x="{lx}" y="{ly}"/>')
        out.append(
            f'<text x="{lx + 12}" y="{ly + 5}" font-size="14" fill="#1e1e1e">{escape(label)}</text>'
        )
    if mine is not None:
        ly = top + legend_rows * LEGEND_ROW + 8
        out.append(f'<circle cx="12" cy="{ly}" r="7" fill="none" stroke="#000" stroke-width="2"/>')
        out.append(
            f'<text x="24" y="{ly + 5}" font-size="14" fill="#1e1e1e">'
            f"{escape(_('You (from your votes)'))}</text>"
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 — every text above is escaped
