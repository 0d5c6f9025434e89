"""The bottom layer: domain rules that every layer above shares, each defined once.

- :mod:`sim.rules.calendar`: day numbers and dates, the results period, calendar
  periods, the one date parser;
- :mod:`sim.rules.deals`: the normal sales cycle, Best Few and its window, a deal's
  level, the rot factor, a deal's stage at a time and its last activity;
- :mod:`sim.rules.reps`: a rep's name and hours per day.

Nothing here imports another part of the package.
"""
