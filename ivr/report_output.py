"""How `ivr report` shows a report: text tables, a CSV file, a PNG chart of the interval series."""
from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from acd.report import Report
from acd.stats import Kpis

COLUMNS = ("offered", "answered", "abandoned", "short_abandoned", "transfers", "asa_s", "aht_s",
           "service_level", "occupancy")
CSV_HEADER = ("scope", "name", "start", "end", *COLUMNS)


def when(at: float) -> str:
    return datetime.fromtimestamp(at).isoformat(sep=" ", timespec="minutes")


def _num(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.1f}%" if percent else f"{value:.1f}"


def _cells(kpis: Kpis) -> list[str]:
    return [str(kpis.offered), str(kpis.answered), str(kpis.abandoned), str(kpis.short_abandoned),
            str(kpis.transfers), _num(kpis.asa_s), _num(kpis.aht_s), _num(kpis.service_level, True),
            _num(kpis.occupancy, True)]


def _table(title: str, header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    line = lambda cells: "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)  # noqa: E731
                                   for i, (cell, w) in enumerate(zip(cells, widths))).rstrip()
    return [title, line(header), *(line(row) for row in rows), ""]


def text(report: Report, queues: list[str] | None) -> list[str]:
    scope = ", ".join(queues) if queues else "all queues"
    lines = [f"{when(report.since)} to {when(report.until)}, {scope}", ""]
    header = ["", "offered", "answered", "abandoned", "short_abn", "transfers", "asa_s", "aht_s", "sl", "occupancy"]
    lines += _table("total", header, [["all", *_cells(report.total)]])
    lines += _table("per queue", ["queue", *header[1:]],
                    [[name, *_cells(kpis)] for name, kpis in report.per_queue.items()])
    lines += _table("per interval", ["start", *header[1:]],
                    [[when(start), *_cells(kpis)] for start, kpis in report.intervals])
    lines += _table("per agent", ["agent", "answered", "aht_s", "talk_s", "occupancy"],
                    [[a.agent_id, str(a.answered), _num(a.aht_s), _num(a.talk_s), _num(a.occupancy, True)]
                     for a in report.per_agent])
    return lines


def _values(kpis: Kpis) -> list[object]:
    return [kpis.offered, kpis.answered, kpis.abandoned, kpis.short_abandoned, kpis.transfers,
            *map(_rounded, (kpis.asa_s, kpis.aht_s, kpis.service_level, kpis.occupancy))]


def write_csv(report: Report, path: Path) -> None:
    """One row per scope: total, each queue, each interval, each agent (agents fill the columns
    that apply to them: answered, aht_s, occupancy)."""
    period = [when(report.since), when(report.until)]
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        writer.writerow(["total", "", *period, *_values(report.total)])
        for name, kpis in report.per_queue.items():
            writer.writerow(["queue", name, *period, *_values(kpis)])
        for start, kpis in report.intervals:
            writer.writerow(["interval", "", when(start), when(min(start + report.interval_s, report.until)),
                             *_values(kpis)])
        for agent in report.per_agent:
            writer.writerow(["agent", agent.agent_id, *period, "", agent.answered, "", "", "", "",
                             _rounded(agent.aht_s), "", _rounded(agent.occupancy)])


def _rounded(value: float | None) -> object:
    return "" if value is None else round(value, 4)


def plot(report: Report, path: Path, title: str) -> None:
    """Offered, answered and abandoned per interval as bars, service level as a line."""
    import matplotlib
    matplotlib.use("Agg")  # files only: no display on a server
    import matplotlib.pyplot as plt

    starts = [datetime.fromtimestamp(start) for start, _ in report.intervals]
    width = report.interval_s / 86400 / 4  # matplotlib dates are in days
    figure, counts = plt.subplots(figsize=(11, 5))
    try:
        for offset, (label, key) in enumerate((("offered", "offered"), ("answered", "answered"),
                                               ("abandoned", "abandoned"))):
            counts.bar([matplotlib.dates.date2num(s) + (offset - 1) * width for s in starts],
                       [getattr(k, key) for _, k in report.intervals], width=width, label=label)
        counts.set_ylabel("interactions")
        counts.xaxis_date()
        level = counts.twinx()
        level.plot(starts, [None if k.service_level is None else k.service_level * 100 for _, k in report.intervals],
                   color="black", marker="o", label="service level %")
        level.set_ylim(0, 105)
        level.set_ylabel("service level %")
        handles = counts.get_legend_handles_labels()
        more = level.get_legend_handles_labels()
        counts.legend(handles[0] + more[0], handles[1] + more[1], loc="upper left")
        counts.set_title(title)
        figure.autofmt_xdate()
        figure.savefig(path, format="png", dpi=100)
    finally:
        plt.close(figure)
