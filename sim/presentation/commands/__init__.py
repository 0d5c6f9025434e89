"""The ``funnel`` sub-commands beyond the core ones in :mod:`sim.presentation.cli`: each
module adds its commands with ``register(subparsers)``; :mod:`.support` holds what they
share."""
