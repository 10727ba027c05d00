"""Where the read-only wire reference lives: `shared/` beside the repository (CI lays it out the same way)."""

import os
from pathlib import Path

SHARED = Path(os.environ.get("TM_TUI_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
EXAMPLES = SHARED / "api" / "examples"
