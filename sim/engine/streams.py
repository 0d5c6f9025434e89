"""Named random streams: one numpy Generator per stochastic input.

Each stream is seeded from (scenario seed, replication, stream name), so adding an
input or changing how often another is used never shifts it. That is what keeps the
arriving leads identical when a policy, the team size or a stage's work hours change
(common random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable 32-bit number for a stream name (the same on every machine and run)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """A lazily filled set of named generators for one replication.

    Parameters
    ----------
    seed : int
        The scenario seed.
    replication : int
        Replication number; replications of one seed are independent.
    """

    def __init__(self, seed: int, replication: int = 0):
        self.seed = int(seed)
        self.replication = int(replication)
        self._gens: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._gens.get(name)
        if gen is None:
            ss = np.random.SeedSequence(
                entropy=self.seed, spawn_key=(self.replication, stream_key(name))
            )
            gen = self._gens[name] = np.random.Generator(np.random.PCG64(ss))
        return gen

    @property
    def names(self) -> list[str]:
        """The streams used so far, sorted."""
        return sorted(self._gens)
