"""`python -m psn …` is the `psn` command."""

import sys

from psn.cli import main

sys.exit(main())
