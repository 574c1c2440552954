"""`python -m bot`: the `demarc` command line (bot/cli/main.py)."""

import sys

from bot.cli.main import main

sys.exit(main())
