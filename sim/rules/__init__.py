"""The bottom layer: domain rules that every layer above shares, each defined once.

- :mod:`sim.rules.calendar`: day numbers and dates, the results period, calendar
  periods, the one date parser;
- :mod:`sim.rules.dates`: calendar-date arithmetic without pandas (a day number of a
  date, a month later), for the rules a scenario is checked by;
- :mod:`sim.rules.deals`: the normal sales cycle, Best Few and its window, a deal's
  level, the rot factor, a deal's stage at a time and its last activity;
- :mod:`sim.rules.reps`: a rep's name and hours per day, and its hours over time under
  the team's plan (hires ramping up, leavers, leaves);
- :mod:`sim.rules.channels`: a marketing channel's arrival rate and the cap on the leads
  a run may ask for (the engine's thinning and the scenario's validator share them).

Nothing here imports another part of the package.
"""
