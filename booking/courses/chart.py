"""Pain over time as an SVG line chart: PURE (standard library only; no flask, no sqlalchemy).

Input: series of points. A point is `(x, value, label)`: x is a datetime or a date (the chart
orders points by time) or a short text (the chart keeps the order given); value is a pain
rating 0-10 (None: not recorded, skipped); label says what the point is ("Before session 2").
Output: an SVG string, every text escaped, that can be written into an HTML page as it is.

Readable without colour (design.md): each series has its own marker shape (filled or hollow)
and its own dash pattern, every point carries its value as text, the y axis is labelled 0-10,
the x axis carries the dates, and a legend in text names each series with a sample of its line
and marker. The SVG has role="img", a <title> and a <desc>; the page shows the same numbers in
a table. Colours come from the stylesheet through the classes `pain-series-<n>` (the drawing
itself uses currentColor), so light and dark themes work unchanged.

Two drawings:
- `pain_timeline_svg` (the patient's pain page): time-proportional, one width per day, so a
  month's gap looks like a month; the headache diary's days as a light band, courses as
  brackets above the plot. The two ratings of a session (before and after) share a date and
  sit side by side on it, so a course's sessions never pile up.
- `pain_chart_svg`: points spaced evenly in time order (one column per distinct instant), for
  short sequences or text labels on the x axis.
"""
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from html import escape

Y_MAX = 10

# Marker shapes, then the same shapes hollow: 16 series are told apart by marker alone.
SHAPES = ("circle", "square", "triangle", "diamond", "triangle-down", "plus", "cross", "star")
# Dash patterns ("" is a solid line); paired with the shapes so that no two of the first
# sixteen series share both.
DASHES = ("", "8 4", "2 4", "10 4 2 4", "4 4", "12 3 3 3 3 3", "1 3", "16 6")

# Geometry, in SVG user units (pixels at 100 %).
COLUMN = 46
LEFT = 58
RIGHT = 24
TOP = 30
PLOT_HEIGHT = 250
DATE_SPACE = 86
LEGEND_ROW = 24
MIN_WIDTH = 360
MARKER = 5.5


@dataclass(frozen=True)
class Series:
    """One line of the chart. `connect=False` draws the markers without a line (ratings that
    are not a sequence, such as the three ratings of an intake)."""

    name: str
    points: tuple = ()
    connect: bool = True


@dataclass(frozen=True)
class Style:
    """How series number `index` is drawn."""

    index: int
    shape: str
    dash: str
    hollow: bool

    @property
    def css_class(self):
        return f"pain-series-{self.index % 8}"


@dataclass
class _Column:
    key: object
    x_text: str
    centre: float = 0.0
    label_slots: list = field(default_factory=list)  # y positions of value labels drawn here


def style_of(index):
    """The marker shape, dash pattern and fill of series `index` (0-based)."""
    shape = SHAPES[index % len(SHAPES)]
    # After the first eight, hollow markers with the dash patterns shifted by three.
    round_ = index // len(SHAPES)
    dash = DASHES[(index + 3 * round_) % len(DASHES)]
    hollow = round_ % 2 == 1 and shape not in ("plus", "cross")
    return Style(index=index, shape=shape, dash=dash, hollow=hollow)


def _is_time(x):
    return isinstance(x, (datetime, date))


def _sort_key(x):
    if isinstance(x, datetime):
        if x.tzinfo is not None:
            x = x.astimezone(timezone.utc).replace(tzinfo=None)
        return x
    return datetime(x.year, x.month, x.day)


def _default_x_text(x):
    if isinstance(x, datetime):
        return x.date().isoformat()
    if isinstance(x, date):
        return x.isoformat()
    return str(x)


def _number(value):
    """A coordinate without needless digits: 12, 12.5, 12.33."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _attr(value):
    return escape(str(value), quote=True)


def _text(value):
    return escape(str(value), quote=False)


def _normalise(series):
    """[(Series, [(x, value, label), ...])] with None values dropped and values checked."""
    out = []
    for item in series:
        if not isinstance(item, Series):
            name, points, *rest = item
            item = Series(name=name, points=tuple(points), connect=rest[0] if rest else True)
        points = []
        for point in item.points:
            x, value, label = point
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= Y_MAX:
                raise ValueError(f"pain value out of range 0-{Y_MAX}: {value!r}")
            points.append((x, value, "" if label is None else str(label)))
        out.append((item, points))
    return out


def _columns(normalised, x_text):
    """One column per distinct x: in time order when every x is a date or datetime, else in
    the order first met. A date is written under a column only where it changes."""
    xs = []
    seen = set()
    for _series, points in normalised:
        for x, _value, _label in points:
            key = _sort_key(x) if _is_time(x) else ("label", str(x))
            if key not in seen:
                seen.add(key)
                xs.append((key, x))
    if xs and all(_is_time(x) for _key, x in xs):
        xs.sort(key=lambda pair: pair[0])
    columns = []
    previous = None
    for key, x in xs:
        text = x_text(x)
        columns.append(_Column(key=key, x_text="" if text == previous else text))
        previous = text
    return columns


def _y(value):
    return TOP + PLOT_HEIGHT * (1 - value / Y_MAX)


def _marker(style, cx, cy, title):
    """One marker: a shape centred on (cx, cy), with a tooltip naming the point."""
    r = MARKER
    fill = "none" if style.hollow else "currentColor"
    common = f'class="pain-marker" data-marker="{style.shape}" stroke="currentColor" ' \
             f'stroke-width="2"'
    tip = f"<title>{_text(title)}</title>"
    if style.shape == "circle":
        return f'<circle {common} fill="{fill}" cx="{_number(cx)}" cy="{_number(cy)}" ' \
               f'r="{_number(r)}">{tip}</circle>'
    if style.shape == "square":
        side = r * 1.7
        return f'<rect {common} fill="{fill}" x="{_number(cx - side / 2)}" ' \
               f'y="{_number(cy - side / 2)}" width="{_number(side)}" ' \
               f'height="{_number(side)}">{tip}</rect>'
    if style.shape in ("plus", "cross"):
        d = r * 1.2
        if style.shape == "plus":
            path = f"M{_number(cx - d)} {_number(cy)}H{_number(cx + d)}" \
                   f"M{_number(cx)} {_number(cy - d)}V{_number(cy + d)}"
        else:
            path = f"M{_number(cx - d)} {_number(cy - d)}L{_number(cx + d)} {_number(cy + d)}" \
                   f"M{_number(cx - d)} {_number(cy + d)}L{_number(cx + d)} {_number(cy - d)}"
        return f'<path class="pain-marker" data-marker="{style.shape}" fill="none" ' \
               f'stroke="currentColor" stroke-width="3" d="{path}">{tip}</path>'
    if style.shape == "triangle":
        points = [(cx, cy - r * 1.3), (cx + r * 1.2, cy + r), (cx - r * 1.2, cy + r)]
    elif style.shape == "triangle-down":
        points = [(cx, cy + r * 1.3), (cx + r * 1.2, cy - r), (cx - r * 1.2, cy - r)]
    elif style.shape == "diamond":
        points = [(cx, cy - r * 1.4), (cx + r * 1.1, cy), (cx, cy + r * 1.4), (cx - r * 1.1, cy)]
    else:  # star: five points
        points = []
        for i in range(10):
            radius = r * 1.45 if i % 2 == 0 else r * 0.62
            angle = math.pi / 2 + i * math.pi / 5
            points.append((cx + radius * math.cos(angle), cy - radius * math.sin(angle)))
    coords = " ".join(f"{_number(px)},{_number(py)}" for px, py in points)
    return f'<polygon {common} fill="{fill}" points="{coords}">{tip}</polygon>'


def _value_label_y(column, cy):
    """Above the marker, unless another label in this column is close: then below, or
    further up."""
    for candidate in (cy - 10, cy + 20, cy - 24, cy + 34, cy - 38):
        if all(abs(candidate - taken) >= 13 for taken in column.label_slots) \
                and TOP - 14 <= candidate <= TOP + PLOT_HEIGHT + 14:
            column.label_slots.append(candidate)
            return candidate
    column.label_slots.append(cy - 10)
    return cy - 10


def _y_axis(plot_width, top, label):
    """The y axis: a grid line and a label for every whole number 0-10, the axis' name."""
    parts = ['<g class="pain-axis pain-axis-y" fill="currentColor">']
    for value in range(Y_MAX + 1):
        y = top + PLOT_HEIGHT * (1 - value / Y_MAX)
        parts.append(
            f'<line class="pain-grid" x1="{LEFT}" x2="{_number(LEFT + plot_width)}" '
            f'y1="{_number(y)}" y2="{_number(y)}" stroke="currentColor" stroke-opacity="0.18" '
            f'stroke-width="1"/>'
            f'<text class="pain-tick" x="{LEFT - 8}" y="{_number(y + 4)}" '
            f'text-anchor="end">{value}</text>')
    label_y = top + PLOT_HEIGHT / 2
    parts.append(
        f'<text class="pain-axis-label" x="16" y="{_number(label_y)}" text-anchor="middle" '
        f'transform="rotate(-90 16 {_number(label_y)})">{_text(label)}</text>'
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{top}" y2="{top + PLOT_HEIGHT}" '
        f'stroke="currentColor" stroke-width="1.5"/></g>')
    return "".join(parts)


def _svg_open(width, height, title, description, id_prefix, extra_class=""):
    ids = _attr(id_prefix)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pain-chart-svg{extra_class}" '
        f'role="img" aria-labelledby="{ids}-title {ids}-desc" '
        f'width="{_number(width)}" height="{_number(height)}" '
        f'viewBox="0 0 {_number(width)} {_number(height)}" font-family="sans-serif" '
        f'font-size="13">'
        f'<title id="{ids}-title">{_text(title)}</title>'
        f'<desc id="{ids}-desc">{_text(description)}</desc>'
    )


def pain_chart_svg(series, *, title="Pain over time", description=None,
                   empty_text="No ratings yet", y_axis_label="Pain (0-10)",
                   x_axis_label="Date", x_text=None, id_prefix="pain-chart"):
    """The chart of `series` (Series, or (name, points[, connect]) tuples) as an SVG string.

    `x_text(x)` writes an x value under its column (default: ISO date, or the label as given);
    the caller passes a localised date format. Every text passed in (titles, names, labels) is
    escaped here. With no rating at all the SVG says `empty_text`. `id_prefix` keeps the ids
    of the title and description unique when a page shows several charts.
    """
    x_text = x_text or _default_x_text
    normalised = _normalise(series)
    total = sum(len(points) for _series, points in normalised)
    if description is None:
        names = ", ".join(s.name for s, points in normalised if points)
        description = (f"Pain ratings from 0 (no pain) to {Y_MAX} over time: {total} "
                       f"rating(s) in {sum(1 for _s, p in normalised if p)} series ({names}).")

    if total == 0:
        width, height = MIN_WIDTH, 120
        return "".join([
            _svg_open(width, height, title, description, id_prefix, " pain-chart-empty"),
            f'<text class="pain-chart-empty-text" x="{width // 2}" y="{height // 2}" '
            f'text-anchor="middle" fill="currentColor">{_text(empty_text)}</text>',
            "</svg>",
        ])

    columns = _columns(normalised, x_text)
    index_of = {column.key: i for i, column in enumerate(columns)}
    plot_width = max(len(columns) * COLUMN, MIN_WIDTH - LEFT - RIGHT)
    width = LEFT + plot_width + RIGHT
    step = plot_width / len(columns)
    for i, column in enumerate(columns):
        column.centre = LEFT + step * (i + 0.5)
    drawn = [(s, points) for s, points in normalised if points]
    legend_top = TOP + PLOT_HEIGHT + DATE_SPACE + 10
    height = legend_top + LEGEND_ROW * len(drawn) + 8

    parts = [_svg_open(width, height, title, description, id_prefix)]

    # The y axis: a grid line and a label for every whole number 0-10.
    parts.append(_y_axis(plot_width, TOP, y_axis_label))

    # The x axis: the date under each column where it changes, turned to fit.
    bottom = TOP + PLOT_HEIGHT
    parts.append('<g class="pain-axis pain-axis-x" fill="currentColor">')
    parts.append(f'<line x1="{LEFT}" x2="{_number(LEFT + plot_width)}" y1="{bottom}" '
                 f'y2="{bottom}" stroke="currentColor" stroke-width="1.5"/>')
    for column in columns:
        cx = _number(column.centre)
        parts.append(f'<line x1="{cx}" x2="{cx}" y1="{bottom}" y2="{bottom + 5}" '
                     f'stroke="currentColor" stroke-width="1"/>')
        if column.x_text:
            ty = bottom + 16
            parts.append(f'<text class="pain-date" x="{cx}" y="{ty}" text-anchor="end" '
                         f'transform="rotate(-40 {cx} {ty})">{_text(column.x_text)}</text>')
    parts.append(f'<text class="pain-axis-label" x="{_number(LEFT + plot_width / 2)}" '
                 f'y="{bottom + DATE_SPACE - 4}" text-anchor="middle">'
                 f'{_text(x_axis_label)}</text>')
    parts.append("</g>")

    # The series: a line (when connected) and a marker with its value for each point.
    for number, (item, points) in enumerate(drawn):
        style = style_of(number)
        placed = []
        for x, value, label in points:
            key = _sort_key(x) if _is_time(x) else ("label", str(x))
            column = columns[index_of[key]]
            placed.append((index_of[key], column, x, value, label))
        placed.sort(key=lambda p: p[0])
        parts.append(f'<g class="pain-series {style.css_class}" data-series="{number}" '
                     f'data-name="{_attr(item.name)}">')
        if item.connect and len(placed) > 1:
            d = "M" + " L".join(f"{_number(c.centre)} {_number(_y(v))}"
                                for _i, c, _x, v, _l in placed)
            dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
            parts.append(f'<path class="pain-line" fill="none" stroke="currentColor" '
                         f'stroke-width="2"{dash} d="{d}"/>')
        for _i, column, x, value, label in placed:
            cy = _y(value)
            text = x_text(x)
            tip = f"{item.name}: {label}, {text}: {value}" if label else \
                f"{item.name}, {text}: {value}"
            parts.append(_marker(style, column.centre, cy, tip))
            ly = _value_label_y(column, cy)
            parts.append(f'<text class="pain-value" x="{_number(column.centre + 9)}" '
                         f'y="{_number(ly)}" fill="currentColor" font-weight="700">'
                         f'{value}</text>')
        parts.append("</g>")

    # The legend, in text: a sample of each line and marker, and the series' name.
    parts.append('<g class="pain-legend" fill="currentColor">')
    for number, (item, _points) in enumerate(drawn):
        y = legend_top + LEGEND_ROW * number + LEGEND_ROW / 2
        parts.append(legend_item(style_of(number), item.name, y, line=item.connect))
    parts.append("</g></svg>")
    return "".join(parts)


def legend_item(style, name, y, *, line=True, left=LEFT):
    """One legend row: a sample of the line (when `line`) with the series' marker, and its
    name (escaped here)."""
    parts = [f'<g class="pain-legend-item {style.css_class}">']
    if line:
        dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
        parts.append(f'<line x1="{left}" x2="{left + 40}" y1="{_number(y)}" '
                     f'y2="{_number(y)}" stroke="currentColor" stroke-width="2"{dash}/>')
    parts.append(_marker(style, left + 20, y, name))
    parts.append(f'<text class="pain-legend-name" x="{left + 52}" y="{_number(y + 4)}" '
                 f'fill="currentColor">{_text(name)}</text></g>')
    return "".join(parts)


# --- Time-proportional: a month's gap looks like a month ---------------------------------------

TIMELINE_TARGET = 1100  # plot width aimed at, before the per-day limits below
DAY_MIN, DAY_MAX = 3.0, 16.0  # pixels per day
PAIR_GAP = 4.5  # two points of one series on one date sit this far left and right of its centre
COURSE_ROW = 18  # the course marks above the plot: one row each, alternating
DIARY_OPACITY = "0.10"
TIMELINE_MIN_PLOT = 420  # room for the legend's words


@dataclass(frozen=True)
class CourseMark:
    """A course drawn above the plot: from its first session's date to its last's."""

    first: date
    last: date
    label: str


def _local_day(x, tz):
    """The clinic date of a point (a date is itself)."""
    if isinstance(x, datetime):
        return (x.astimezone(tz) if tz is not None and x.tzinfo is not None else x).date()
    return x


def _runs(days):
    """Consecutive dates grouped: [(first, last), ...]."""
    runs = []
    for day in sorted(set(days)):
        if runs and (day - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def pain_timeline_svg(series, *, tz=None, first_day=None, last_day=None, diary_days=(),
                      courses=(), title="Pain over time", description=None,
                      empty_text="No ratings yet", y_axis_label="Pain (0-10)",
                      x_axis_label="Date", month_text=None, date_text=None,
                      diary_label="Days with a diary entry", id_prefix="pain-chart"):
    """Pain ratings on a time-proportional axis (one width per day), so a month's gap looks
    like a month. `diary_days` are drawn as a light band (with a legend entry), `courses`
    (CourseMark) as brackets above the plot with dashed lines at their first and last dates.
    Points are placed on their clinic date (`tz`); two points of one series on one date
    (before and after a session) sit side by side, the earlier on the left.

    `first_day`/`last_day` fix the axis (default: the data's first and last dates);
    `month_text(date)` writes a month under its first day, `date_text(x)` a point's tooltip
    date. Every text is escaped here."""
    month_text = month_text or (lambda d: d.strftime("%b %Y"))
    date_text = date_text or _default_x_text
    normalised = [(s, p) for s, p in _normalise(series)]
    drawn = [(s, p) for s, p in normalised if p]
    total = sum(len(p) for _s, p in drawn)
    diary_days = sorted(set(diary_days))
    if description is None:
        description = (f"Pain ratings from 0 (no pain) to {Y_MAX} over time, on a "
                       f"time-proportional axis: {total} rating(s) in {len(drawn)} series.")
    days = [_local_day(x, tz) for _s, p in drawn for x, _v, _l in p] + list(diary_days)
    if not days:
        width, height = MIN_WIDTH, 120
        return "".join([
            _svg_open(width, height, title, description, id_prefix, " pain-chart-empty"),
            f'<text class="pain-chart-empty-text" x="{width // 2}" y="{height // 2}" '
            f'text-anchor="middle" fill="currentColor">{_text(empty_text)}</text>', "</svg>"])
    days += [d for c in courses for d in (c.first, c.last)]
    start = first_day or min(days)
    end = last_day or max(days)
    if end < start:
        start, end = end, start
    span = (end - start).days + 1
    per_day = max(DAY_MIN, min(DAY_MAX, TIMELINE_TARGET / span))
    plot_width = max(span * per_day, TIMELINE_MIN_PLOT)
    per_day = plot_width / span
    courses = sorted(courses, key=lambda c: c.first)
    top = TOP + (COURSE_ROW * min(2, len(courses)) + 6 if courses else 0)
    bottom = top + PLOT_HEIGHT
    width = LEFT + plot_width + RIGHT

    def x_of(day, offset=0.0):
        return LEFT + ((day - start).days + 0.5) * per_day + offset

    def y_of(value):
        return top + PLOT_HEIGHT * (1 - value / Y_MAX)

    legend_rows = len(drawn) + (1 if diary_days else 0)
    legend_top = bottom + DATE_SPACE + 10
    height = legend_top + LEGEND_ROW * legend_rows + 8
    parts = [_svg_open(width, height, title, description, id_prefix, " pain-timeline")]

    # The diary's days: a light band behind everything, one rectangle per run of dates.
    if diary_days:
        parts.append('<g class="pain-diary-band" fill="currentColor" '
                     f'fill-opacity="{DIARY_OPACITY}">')
        for first, last in _runs(d for d in diary_days if start <= d <= end):
            x = LEFT + (first - start).days * per_day
            w = ((last - first).days + 1) * per_day
            parts.append(f'<rect x="{_number(x)}" y="{top}" width="{_number(w)}" '
                         f'height="{PLOT_HEIGHT}"/>')
        parts.append("</g>")

    parts.append(_y_axis(plot_width, top, y_axis_label))

    # The x axis: a tick and the month's name at the first of every month.
    parts.append('<g class="pain-axis pain-axis-x" fill="currentColor">')
    parts.append(f'<line x1="{LEFT}" x2="{_number(LEFT + plot_width)}" y1="{bottom}" '
                 f'y2="{bottom}" stroke="currentColor" stroke-width="1.5"/>')
    month = date(start.year, start.month, 1)
    ticks = [start] if start.day != 1 else []
    while month <= end:
        if month >= start:
            ticks.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    for day in ticks:
        x = _number(LEFT + (day - start).days * per_day)
        parts.append(f'<line x1="{x}" x2="{x}" y1="{bottom}" y2="{bottom + 6}" '
                     f'stroke="currentColor" stroke-width="1"/>')
        ty = bottom + 16
        parts.append(f'<text class="pain-date" x="{x}" y="{ty}" text-anchor="end" '
                     f'transform="rotate(-40 {x} {ty})">'
                     f'{_text(month_text(day) if day.day == 1 else date_text(day))}</text>')
    parts.append(f'<text class="pain-axis-label" x="{_number(LEFT + plot_width / 2)}" '
                 f'y="{bottom + DATE_SPACE - 4}" text-anchor="middle">'
                 f'{_text(x_axis_label)}</text></g>')

    # The courses: a bracket above the plot and dashed lines down at their first and last day.
    if courses:
        parts.append('<g class="pain-courses" fill="currentColor">')
        for number, course in enumerate(courses):
            y = TOP - 4 + COURSE_ROW * (number % 2)
            x1 = LEFT + (course.first - start).days * per_day
            x2 = LEFT + ((course.last - start).days + 1) * per_day
            parts.append(
                f'<g class="pain-course"><title>{_text(course.label)}</title>'
                f'<path d="M{_number(x1)} {_number(y + 6)}V{_number(y)}H{_number(x2)}'
                f'V{_number(y + 6)}" fill="none" stroke="currentColor" stroke-width="2"/>'
                f'<line x1="{_number(x1)}" x2="{_number(x1)}" y1="{top}" y2="{bottom}" '
                f'stroke="currentColor" stroke-dasharray="3 3" stroke-opacity="0.6"/>'
                f'<line x1="{_number(x2)}" x2="{_number(x2)}" y1="{top}" y2="{bottom}" '
                f'stroke="currentColor" stroke-dasharray="3 3" stroke-opacity="0.6"/>'
                f'<text class="pain-course-label" x="{_number(x1)}" y="{_number(y - 4)}">'
                f'{_text(course.label)}</text></g>')
        parts.append("</g>")

    # The series: points on their date; a series' points on one date side by side.
    label_slots = {}
    for number, (item, points) in enumerate(drawn):
        style = style_of(number)
        ordered = sorted(points, key=lambda p: _sort_key(p[0]) if _is_time(p[0]) else p[0])
        per_date = {}
        for x, _value, _label in ordered:
            per_date.setdefault(_local_day(x, tz), []).append(x)
        placed = []
        for x, value, label in ordered:
            day = _local_day(x, tz)
            siblings = per_date[day]
            offset = 0.0
            if len(siblings) > 1:
                index = siblings.index(x)
                offset = PAIR_GAP * (2 * index - (len(siblings) - 1))
            placed.append((day, x_of(day, offset), y_of(value), x, value, label))
        parts.append(f'<g class="pain-series {style.css_class}" data-series="{number}" '
                     f'data-name="{_attr(item.name)}">')
        if item.connect and len(placed) > 1:
            d = "M" + " L".join(f"{_number(px)} {_number(py)}" for _d, px, py, *_r in placed)
            dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
            parts.append(f'<path class="pain-line" fill="none" stroke="currentColor" '
                         f'stroke-width="2"{dash} d="{d}"/>')
        for day, px, py, x, value, label in placed:
            when = date_text(x)
            tip = f"{item.name}: {label}, {when}: {value}" if label else \
                f"{item.name}, {when}: {value}"
            parts.append(_marker(style, px, py, tip))
            column = label_slots.setdefault(round(px / 14), _Column(key=day, x_text=""))
            ly = _value_label_y(column, py)
            parts.append(f'<text class="pain-value" x="{_number(px + 7)}" y="{_number(ly)}" '
                         f'fill="currentColor" font-weight="700">{value}</text>')
        parts.append("</g>")

    if total == 0:
        parts.append(f'<text class="pain-chart-empty-text" x="{_number(LEFT + plot_width / 2)}" '
                     f'y="{_number(top + PLOT_HEIGHT / 2)}" text-anchor="middle" '
                     f'fill="currentColor">{_text(empty_text)}</text>')

    # The legend: the diary band, then each series.
    parts.append('<g class="pain-legend" fill="currentColor">')
    row = 0
    if diary_days:
        y = legend_top + LEGEND_ROW / 2
        parts.append(f'<g class="pain-legend-item pain-legend-diary"><rect x="{LEFT}" '
                     f'y="{_number(y - 8)}" width="40" height="16" fill="currentColor" '
                     f'fill-opacity="{DIARY_OPACITY}" stroke="currentColor" '
                     f'stroke-opacity="0.4"/><text class="pain-legend-name" x="{LEFT + 52}" '
                     f'y="{_number(y + 4)}">{_text(diary_label)}</text></g>')
        row = 1
    for number, (item, _points) in enumerate(drawn):
        y = legend_top + LEGEND_ROW * (row + number) + LEGEND_ROW / 2
        parts.append(legend_item(style_of(number), item.name, y, line=item.connect))
    parts.append("</g></svg>")
    return "".join(parts)
