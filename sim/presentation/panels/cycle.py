"""Lesson 03: the sales cycle and velocity: its panels."""

from __future__ import annotations

PANELS: dict = {}
"""Each panel's name, factory and the shipped scenario its lesson starts from."""
