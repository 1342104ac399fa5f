"""Measures: what the organisation learns from its touchpoints, for a period and an optional filter.

The domain API the `/report` command, the weekly report and `touchpoint report` share:

- `bot.reports.periods`: the words of `/report` and the CLI's options become a `Period` (local days in the
  viewer's zone, with the previous period of the same length) and a `Filter` (a department, a person, a
  customer, a tag); bad words raise `ReportWordsError`, whose message has examples or suggestions.
- `bot.reports.measures`: `build_report(readers, workspace_id, period, filter, now=..., quiet_after_days=...)`
  computes every measure (the sums run in SQL, `storage.reports`, two parts at once given a session factory)
  into a `Report` of plain dataclasses, each figure a `Figure(value, previous)`; `report_json`, `report_csv`
  and `report_text` render it.
- `bot.reports.chart`: `render_chart(ChartSpec(...))` draws touchpoints per week by department and follow-ups
  kept vs late as a PNG; the plotting library is imported only there, when a chart is drawn, never on
  `/log`'s path; `bot.reports.chart_data.chart_spec` fills it from a `Report`.

- `bot.reports.weekly`: `/report weekly`'s words, its schedule (Monday 09:00 in the subscription's zone, the week
  before it) and its subscriptions; `bot.reports.weekly_posts` posts those due, claimed as nudges are, through
  the Web API client the dispatcher hands it; `bot.reports.sharing` uploads a report's chart.

Apart from those two senders, nothing here imports Slack: the listeners (`handlers/reports.py`,
`handlers/weekly_reports.py`) render with `bot.blocks.reports` and upload with `bot.uploads`.

Every measure is defined, exactly as computed, in the README's "Measures" section.
"""
