"""``python -m nuke_ai_panel``: see :mod:`nuke_ai_panel.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
