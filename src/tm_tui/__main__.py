"""`python -m tm_tui` runs the same command as `tm-tui`."""

import sys

from tm_tui.cli import main

sys.exit(main())
