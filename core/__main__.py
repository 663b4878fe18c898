"""``python -m neurofiles`` runs the command-line interface."""

import sys

from ._commandline.main import main

sys.exit(main())
