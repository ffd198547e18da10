"""lemm's version, in a module of its own so any part of lemm can read it without importing the top-level ``lemm`` facade.

>>> from lemm.version import __version__
>>> __version__ == __import__("lemm").__version__
True
"""

__version__ = "0.2.0"
