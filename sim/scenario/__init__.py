"""Description: what to simulate, as data.

- :mod:`sim.scenario.schema`: the frozen, validated scenario (pydantic v2);
- :mod:`sim.scenario.distributions`: probability distributions as small frozen objects;
- :mod:`sim.scenario.files`: TOML in and out (``load_scenario``, ``parse_scenario``,
  ``validate_scenario``, ``save_scenario``, ``to_toml``);
- :mod:`sim.scenario.checks`: cross-field rules that report every violation, also on
  data with wrong fields;
- :mod:`sim.scenario.errors`: ``ScenarioError``, and pydantic's errors turned into
  sentences ``path: value X is not allowed: rule``, every problem at once;
- :mod:`sim.scenario.variants`: ``vary``, the one way to make a variant, and field paths;
- :mod:`sim.scenario.shipped`: the scenarios that come with the package, by name.

Only :mod:`sim.rules` lies below; nothing here imports a layer above.
"""
