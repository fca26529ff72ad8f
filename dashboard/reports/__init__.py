"""The manager's reports: one module per report family, each a set of selectors that aggregate in SQL
and return `Table`s (rows, a chart, a note) that the pages render and the CSV writer downloads.

Read-only: nothing here writes. Every figure is summed by the database (Sum, Count, Trunc*, window
functions); Python only reshapes the few aggregated rows (pivots, shares, ratios) for display.
"""
