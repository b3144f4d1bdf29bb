"""The administrator's dashboard: four charts of the hospital's figures, each drawn as SVG on the
server and downloadable as CSV.

A chart's rows (label and figures, as text) are made once, here, from its selector; the page's
table, the bars' tooltips and the CSV all print those same strings, so the CSV is the screen.
Buckets are the hospital's local days and weeks (hms.core.periods).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from hms.accounts.models import User
from hms.billing.statistics import revenue_per_day
from hms.patients.statistics import patients_new_per_week
from hms.scheduling.statistics import appointments_per_day, no_show_rate_per_week

# The drawing's size, in SVG user units (the stylesheet scales it to the page's width): about
# the width a chart gets on a laptop, so that its 11-unit labels read at about 11 px there.
WIDTH, HEIGHT = 480, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 36
X_LABELS = 6  # at most this many labels under the bars


@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    title: str  # the tooltip: the row's label and figure


@dataclass(frozen=True)
class Label:
    x: str
    y: str
    text: str


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    note: str
    columns: tuple[str, ...]  # the CSV's header, and the table's
    rows: list[tuple[str, ...]]  # as shown and as downloaded
    values: list[float]  # the bar of each row
    value_label: str  # what a bar measures, in words

    axis_unit: str = ""  # after the axis' top figure ("50%")
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def csv_url_name(self) -> str:
        return f"dashboard-csv-{self.slug}"

    @property
    def bars(self) -> list[Bar]:
        plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
        slot = plot_width / max(len(self.values), 1)
        top = self.top
        bars = []
        for index, (row, value) in enumerate(zip(self.rows, self.values, strict=True)):
            height = plot_height * value / top if top else 0
            bars.append(
                Bar(
                    x=_n(LEFT + index * slot + slot * 0.1),
                    y=_n(TOP + plot_height - height),
                    width=_n(slot * 0.8),
                    height=_n(height),
                    title=f"{row[0]}: {row[-1] or 'none due'}",
                )
            )
        return bars

    @property
    def top(self) -> float:
        return max(self.values, default=0.0)

    @property
    def x_labels(self) -> list[Label]:
        plot_width = WIDTH - LEFT - RIGHT
        slot = plot_width / max(len(self.rows), 1)
        step = max(1, -(-len(self.rows) // X_LABELS))
        return [
            Label(x=_n(LEFT + index * slot + slot / 2), y=_n(HEIGHT - BOTTOM + 16), text=row[0][5:])
            for index, row in enumerate(self.rows)
            if (len(self.rows) - 1 - index) % step == 0
        ]

    @property
    def y_labels(self) -> list[Label]:
        """The axis' zero and its top (the largest figure)."""
        top_text = _figure(self.top) + (self.axis_unit if self.top else "")
        return [
            Label(x=_n(LEFT - 6), y=_n(HEIGHT - BOTTOM), text="0"),
            Label(x=_n(LEFT - 6), y=_n(TOP + 10), text=top_text),
        ]

    @property
    def axis(self) -> dict[str, str]:
        return {"x1": _n(LEFT), "x2": _n(WIDTH - RIGHT), "y": _n(HEIGHT - BOTTOM)}


def _n(value: float) -> str:
    return f"{value:.1f}"


def _figure(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


def appointments_chart(*, user: User, client_address: str | None) -> Chart:
    days = appointments_per_day(user=user, client_address=client_address)
    return Chart(
        slug="appointments-per-day",
        title="Appointments per day (last 30 days)",
        note="Appointments starting each day, cancelled ones left out.",
        columns=("day", "appointments"),
        rows=[(day.isoformat(), str(count)) for day, count in days],
        values=[float(count) for _, count in days],
        value_label="appointments",
    )


def new_patients_chart(*, user: User, client_address: str | None) -> Chart:
    weeks = patients_new_per_week(user=user, client_address=client_address)
    return Chart(
        slug="new-patients-per-week",
        title="New patients per week (last 12 weeks)",
        note="Patients registered each week; a week starts on Monday.",
        columns=("week_starting", "new_patients"),
        rows=[(monday.isoformat(), str(count)) for monday, count in weeks],
        values=[float(count) for _, count in weeks],
        value_label="new patients",
    )


def no_show_chart(*, user: User, client_address: str | None) -> Chart:
    weeks = no_show_rate_per_week(user=user, client_address=client_address)
    return Chart(
        slug="no-show-rate-per-week",
        title="No-show rate per week (last 12 weeks)",
        note="No-shows as a percentage of the appointments due that week (started by now, not "
        "cancelled); a week with none due has no rate.",
        columns=("week_starting", "appointments_due", "no_shows", "no_show_rate_percent"),
        rows=[
            (
                week.week.isoformat(),
                str(week.due),
                str(week.no_shows),
                "" if week.rate_percent is None else f"{week.rate_percent:.1f}",
            )
            for week in weeks
        ],
        values=[week.rate_percent or 0.0 for week in weeks],
        value_label="percent no-shows",
        axis_unit="%",
    )


def revenue_chart(*, user: User, client_address: str | None) -> Chart:
    revenue = revenue_per_day(user=user, client_address=client_address)
    note = f"Payments received each day, in {revenue.currency}; voided payments left out."
    if revenue.other_currency_payments:
        note += (
            f" {revenue.other_currency_payments} payment(s) on invoices in another currency "
            "are not counted here."
        )
    return Chart(
        slug="revenue-per-day",
        title=f"Revenue per day in {revenue.currency} (last 30 days)",
        note=note,
        columns=("day", f"payments_{revenue.currency}"),
        rows=[(day.isoformat(), _money(amount)) for day, amount in revenue.days],
        values=[float(amount) for _, amount in revenue.days],
        value_label=revenue.currency,
    )


CHARTS: dict[str, Callable[..., Chart]] = {
    "appointments-per-day": appointments_chart,
    "new-patients-per-week": new_patients_chart,
    "no-show-rate-per-week": no_show_chart,
    "revenue-per-day": revenue_chart,
}


def dashboard_charts(*, user: User, client_address: str | None) -> list[Chart]:
    return [build(user=user, client_address=client_address) for build in CHARTS.values()]


def csv_filename(*, hospital_code: str, chart: Chart, today: datetime.date) -> str:
    return f"{hospital_code}-{chart.slug}-{today.isoformat()}.csv"
