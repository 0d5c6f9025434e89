"""The manager's desk: CRM-style opportunity and history files (read and written), the
stress test of a pipeline, and calibration of a scenario from a CRM history.

This layer sits above the analysis (it exports a run's records) and below the
experiments and the presentation.

- :mod:`~sim.crm.fields`: the canonical columns, and the one table of the headers
  Salesforce, HubSpot and Odoo export under;
- :mod:`~sim.crm.reader`: ``read_opportunities`` and ``read_history``, reporting every
  bad cell (:class:`~sim.crm.reader.CrmFileError`);
- :mod:`~sim.crm.export`: a run's deals in those columns (``crm_tables``, ``write_crm``);
- :mod:`~sim.crm.movement`: how a period's pipeline moved (the waterfall view).
"""
