"""Lesson 08: the manager's stress test: its panels."""

from __future__ import annotations

PANELS: dict = {}
"""Each panel's name, factory and the shipped scenario its lesson starts from."""
