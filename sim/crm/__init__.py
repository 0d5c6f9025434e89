"""The manager's desk: CRM-style opportunity and history files (read and written), the
stress test of a pipeline, and calibration of a scenario from a CRM history.

This layer sits above the analysis (it exports a run's records) and below the
experiments and the presentation.
"""
