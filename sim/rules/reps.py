"""A rep's name and selling hours, as the team and its named members set them."""

from __future__ import annotations


def rep_names(team) -> list[str]:
    """Each rep's name: a member's own, else ``Rep 1``, ``Rep 2``, ... by position."""
    return [(team.members[i].name if i < len(team.members) and team.members[i].name
             else f"Rep {i + 1}") for i in range(team.reps)]


def rep_hours_per_day(team) -> list[float]:
    """Each rep's selling hours per calendar day: a member's own, else the team's."""
    return [(team.members[i].hours_per_day if i < len(team.members)
             and team.members[i].hours_per_day else team.hours_per_day)
            for i in range(team.reps)]
