"""The durability step chart: "still relieved" (product-limit estimate) against days after the
course, one step line per population. PURE (standard library and the pain chart's drawing
helpers): an SVG string with every text escaped.

Readable without colour: each line has its own dash pattern and marker (booking.courses.chart
styles), every report time carries its value as text, censorings are short vertical ticks, and
a text legend names the lines. The page shows the same numbers in a table.
"""
from booking.courses.chart import (_attr, _marker, _number, _svg_open, _text, legend_item,
                                   style_of)

LEFT, RIGHT, TOP = 58, 72, 24
PLOT_WIDTH, PLOT_HEIGHT = 420, 220
AXIS_SPACE, LEGEND_ROW = 46, 24


def survival_svg(curves, times, *, title, description, x_axis_label, y_axis_label,
                 percent_text, empty_text, id_prefix="durability-chart"):
    """`curves`: [(name, figures.Durability)]; `times`: the report times (28, 56, 84);
    `percent_text(point)` writes a SurvivalPoint's S(t) ("53.3 %")."""
    drawn = [(name, d) for name, d in curves if d.population.value]
    end = max(times) if times else 84
    width = LEFT + PLOT_WIDTH + RIGHT
    legend_top = TOP + PLOT_HEIGHT + AXIS_SPACE
    height = legend_top + LEGEND_ROW * max(1, len(drawn)) + 8
    parts = [_svg_open(width, height, title, description, id_prefix, " durability-chart")]

    def x_of(day):
        return LEFT + PLOT_WIDTH * day / end

    def y_of(fraction):
        return TOP + PLOT_HEIGHT * (1 - float(fraction))

    parts.append('<g class="pain-axis" fill="currentColor">')
    for percent in range(0, 101, 25):
        y = y_of(percent / 100)
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + PLOT_WIDTH}" y1="{_number(y)}" '
                     f'y2="{_number(y)}" stroke="currentColor" stroke-opacity="0.18"/>'
                     f'<text x="{LEFT - 8}" y="{_number(y + 4)}" text-anchor="end">'
                     f'{percent}</text>')
    for day in (0,) + tuple(times):
        x = _number(x_of(day))
        parts.append(f'<line x1="{x}" x2="{x}" y1="{TOP + PLOT_HEIGHT}" '
                     f'y2="{TOP + PLOT_HEIGHT + 5}" stroke="currentColor"/>'
                     f'<text x="{x}" y="{TOP + PLOT_HEIGHT + 18}" text-anchor="middle">'
                     f'{day}</text>')
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + PLOT_HEIGHT}" '
        f'stroke="currentColor" stroke-width="1.5"/>'
        f'<line x1="{LEFT}" x2="{LEFT + PLOT_WIDTH}" y1="{TOP + PLOT_HEIGHT}" '
        f'y2="{TOP + PLOT_HEIGHT}" stroke="currentColor" stroke-width="1.5"/>'
        f'<text x="{_number(LEFT + PLOT_WIDTH / 2)}" y="{TOP + PLOT_HEIGHT + 38}" '
        f'text-anchor="middle">{_text(x_axis_label)}</text>'
        f'<text x="16" y="{_number(TOP + PLOT_HEIGHT / 2)}" text-anchor="middle" '
        f'transform="rotate(-90 16 {_number(TOP + PLOT_HEIGHT / 2)})">'
        f'{_text(y_axis_label)}</text></g>')

    if not drawn:
        parts.append(f'<text x="{_number(LEFT + PLOT_WIDTH / 2)}" '
                     f'y="{_number(TOP + PLOT_HEIGHT / 2)}" text-anchor="middle" '
                     f'fill="currentColor">{_text(empty_text)}</text>')
    for number, (name, durability) in enumerate(drawn):
        style = style_of(number)
        followed = [p.time for p in durability.points if p.at_risk]
        last = max(followed + [o.time for o in durability.observations] + [0])
        d = f"M{_number(x_of(0))} {_number(y_of(1))}"
        for time, after in durability.steps:
            d += f" H{_number(x_of(time))} V{_number(y_of(after))}"
        d += f" H{_number(x_of(min(last, end)))}"
        dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
        parts.append(f'<g class="pain-series {style.css_class}" data-name="{_attr(name)}">'
                     f'<path class="pain-line" fill="none" stroke="currentColor" '
                     f'stroke-width="2.5"{dash} d="{d}"/>')
        steps = list(durability.steps)
        for observation in durability.observations:
            if observation.event or observation.time == 0:
                continue
            at = 1
            for time, after in steps:
                if time <= observation.time:
                    at = after
            x, y = x_of(observation.time), y_of(at)
            parts.append(f'<line class="durability-censor" x1="{_number(x)}" '
                         f'x2="{_number(x)}" y1="{_number(y - 6)}" y2="{_number(y + 6)}" '
                         f'stroke="currentColor" stroke-width="2"/>')
        for point in durability.points:
            if point.survival is None:
                continue
            x, y = x_of(point.time), y_of(point.survival)
            text = percent_text(point)
            parts.append(_marker(style, x, y, f"{name}, {point.time}: {text}"))
            # The first line's values above its points, the second's below.
            ly = y - 8 if number % 2 == 0 else y + 20
            parts.append(f'<text class="pain-value" x="{_number(x + 8)}" y="{_number(ly)}" '
                         f'fill="currentColor" font-weight="700">{_text(text)}</text>')
        parts.append("</g>")

    parts.append('<g class="pain-legend" fill="currentColor">')
    for number, (name, _durability) in enumerate(drawn):
        parts.append(legend_item(style_of(number), name,
                                 legend_top + LEGEND_ROW * number + LEGEND_ROW / 2))
    parts.append("</g></svg>")
    return "".join(parts)
