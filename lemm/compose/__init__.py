"""lemm.compose: brief -> plan -> score.

>>> from lemm.compose import Brief, make_plan, compose_score
>>> plan = make_plan(Brief(prompt="chill lo-fi", duration_seconds=20.0))
>>> compose_score(plan).tracks[0].name
'drums'
"""

from lemm.compose.arrange import compose_part, compose_score
from lemm.compose.brief import Brief
from lemm.compose.planner import make_plan

__all__ = ["Brief", "make_plan", "compose_score", "compose_part"]
