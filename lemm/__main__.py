"""``python -m lemm`` runs the lemm command."""

import sys

from lemm.cli import main

sys.exit(main())
