"""Lesson 00: start here: its panels."""

from __future__ import annotations

PANELS: dict = {}
"""Each panel's name, factory and the shipped scenario its lesson starts from."""
