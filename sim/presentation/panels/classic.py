"""Lesson 05: the limits of the classic funnel: its panels."""

from __future__ import annotations

PANELS: dict = {}
"""Each panel's name, factory and the shipped scenario its lesson starts from."""
