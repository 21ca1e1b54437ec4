"""The geometry of the calculation page's chart, an inline SVG drawn by the server (no
script): the tax against the salary, and the household's own point.

The curve is drawn in the figures' own units: a group scaled from euros to pixels (y up)
holds a polyline whose points are the (salary, tax) pairs themselves, its stroke kept one
width by ``vector-effect``; the marker and the labels are placed in pixels.
"""
WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 70, 45, 20, 40  # room for the labels
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
TICKS = 4


def _number(value: float) -> str:
    return f"{value:.9g}"


def chart(points: dict, salary: int, tax: int) -> dict:
    """What the template draws, from ``services.explanations.chart_curve``'s points and
    the household's salary and tax."""
    top_salary = max(points["to"], 1)
    top_tax = max(max(points["tax"], default=0), tax, 1)
    x_scale, y_scale = PLOT_WIDTH / top_salary, PLOT_HEIGHT / top_tax
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "top": TOP,
        "plot_width": PLOT_WIDTH, "plot_height": PLOT_HEIGHT,
        "bottom": TOP + PLOT_HEIGHT, "right": LEFT + PLOT_WIDTH,
        "transform": f"translate({LEFT} {TOP + PLOT_HEIGHT}) "
                     f"scale({_number(x_scale)} {_number(-y_scale)})",
        "points": " ".join(f"{s},{t}" for s, t in zip(points["salary"], points["tax"])),
        "marker": {"x": _number(LEFT + salary * x_scale),
                   "y": _number(TOP + PLOT_HEIGHT - tax * y_scale),
                   "salary": salary, "tax": tax},
        "x_ticks": [{"value": round(top_salary * i / TICKS),
                     "x": _number(LEFT + PLOT_WIDTH * i / TICKS)} for i in range(TICKS + 1)],
        "y_ticks": [{"value": round(top_tax * i / TICKS),
                     "y": _number(TOP + PLOT_HEIGHT - PLOT_HEIGHT * i / TICKS)}
                    for i in range(TICKS + 1)],
        "rows": list(zip(points["salary"], points["tax"])),
    }


# The bar chart of the same household's tax in every tax year (beside the years' table).
BARS_WIDTH, BARS_HEIGHT = 480, 220
BARS_LEFT, BARS_RIGHT, BARS_TOP, BARS_BOTTOM = 10, 10, 24, 28  # room for the labels
BAR_SHARE = 0.6  # of a year's slot that its bar fills


def years_chart(rows: list, current_year: int) -> dict:
    """What the template draws from ``services.explanations.across_years``'s rows: one bar
    per tax year, as tall as its tax, in the rows' order; its figure above it, its year
    under it. Bars are drawn in pixels (y down), heights rounded to a hundredth."""
    plot_width = BARS_WIDTH - BARS_LEFT - BARS_RIGHT
    plot_height = BARS_HEIGHT - BARS_TOP - BARS_BOTTOM
    bottom = BARS_TOP + plot_height
    slot = plot_width / max(len(rows), 1)
    top_tax = max((row["tax"] for row in rows), default=0) or 1
    bars = []
    for index, row in enumerate(rows):
        height = plot_height * row["tax"] / top_tax
        x = BARS_LEFT + slot * index + slot * (1 - BAR_SHARE) / 2
        bars.append({"year": row["year"], "tax": row["tax"],
                     "current": row["year"] == current_year,
                     "x": _number(round(x, 2)), "width": _number(round(slot * BAR_SHARE, 2)),
                     "y": _number(round(bottom - height, 2)),
                     "height": _number(round(height, 2)),
                     "middle": _number(round(x + slot * BAR_SHARE / 2, 2)),
                     "label_y": _number(round(bottom - height - 6, 2))})
    return {"width": BARS_WIDTH, "height": BARS_HEIGHT, "left": BARS_LEFT,
            "right": BARS_WIDTH - BARS_RIGHT, "bottom": bottom, "year_y": bottom + 18,
            "bars": bars, "first": rows[0]["year"] if rows else None,
            "last": rows[-1]["year"] if rows else None}
