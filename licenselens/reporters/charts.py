"""Geometry of the report's inline SVG charts (the template draws it; no script needed to see them)."""

from __future__ import annotations

import re

WIDTH, LABEL_WIDTH, ROW_HEIGHT, BAR_AREA = 720, 190, 22, 240


def css_class(name: str) -> str:
    return "c-" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "none")


def stacked_bars(rows: list[tuple[str, dict[str, float], str]]) -> dict:
    """One horizontal bar per dataset, split by share of documents per licence category."""
    plot = WIDTH - LABEL_WIDTH - 10
    categories = sorted({c for _, shares, _ in rows for c in shares}, key=lambda c: (c == "none", c))
    drawn = []
    for i, (label, shares, href) in enumerate(rows):
        total = sum(shares.values()) or 1.0
        x, parts = float(LABEL_WIDTH), []
        for category in categories:
            share = shares.get(category, 0.0) / total
            if share > 0:
                parts.append(
                    {
                        "x": round(x, 2),
                        "w": round(share * plot, 2),
                        "category": category,
                        "cls": css_class(category),
                        "share": share,
                    }
                )
                x += share * plot
        drawn.append({"label": label, "href": href, "y": i * ROW_HEIGHT + 4, "parts": parts})
    return {
        "width": WIDTH,
        "height": len(rows) * ROW_HEIGHT + 8,
        "rows": drawn,
        "label_width": LABEL_WIDTH,
        "bar_height": ROW_HEIGHT - 6,
        "legend": [{"category": c, "cls": css_class(c)} for c in categories],
    }


def bar_chart(items: list[tuple[str, int, str, str]]) -> dict:
    """Vertical bars with counts: (label, value, href, filter)."""
    top = max([v for _, v, _, _ in items] + [1])
    width = max(80, (WIDTH - 40) // max(len(items), 1))
    bars = []
    for i, (label, value, href, tag) in enumerate(items):
        h = round(value / top * (BAR_AREA - 40), 2)
        bars.append(
            {
                "label": label,
                "value": value,
                "href": href,
                "filter": f"is:{tag}",
                "cls": css_class(label),
                "x": 20 + i * width,
                "w": width - 16,
                "y": BAR_AREA - 20 - h,
                "h": h,
            }
        )
    return {"width": WIDTH, "height": BAR_AREA + 10, "bars": bars, "base": BAR_AREA - 20}


def histogram(bins: list[dict], threshold: int) -> dict:
    """Verbatim span lengths in token bins; bins at or over the verbatim threshold are marked."""
    items = []
    for b in bins:
        label = f"{b['from']}+" if b["to"] is None else f"{b['from']}–{b['to'] - 1}"
        items.append((label + " tokens", b["spans"], "#outputs", "spans"))
    chart = bar_chart(items)
    for bar, b in zip(chart["bars"], bins):
        bar["cls"] = "c-over" if b["from"] >= threshold else "c-under"
    chart["threshold"] = threshold
    return chart
