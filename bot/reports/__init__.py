"""Reports: what the organisation learns from its touchpoints (measures over a period, the chart drawn from
them, and the files uploaded to Slack). Nothing here is imported on `/log`'s path, and the plotting library
is imported only inside `bot.reports.chart` when a chart is drawn."""
