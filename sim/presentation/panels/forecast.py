"""Lesson 04: the opportunity view and the forecast: its panels."""

from __future__ import annotations

PANELS: dict = {}
"""Each panel's name, factory and the shipped scenario its lesson starts from."""
