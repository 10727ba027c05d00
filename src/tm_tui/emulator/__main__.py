"""`python -m tm_tui.emulator`: run the emulator until Ctrl+C or SIGTERM."""

import sys

from tm_tui.emulator.server import main

sys.exit(main())
