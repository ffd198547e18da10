"""lemm: AI-assisted music production, from a brief to a finished song."""

__version__ = "0.1.0"
