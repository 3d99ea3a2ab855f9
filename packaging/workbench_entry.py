"""PyInstaller's entry script: the same `workbench` command as the installed console script.

`workbench --local-server ...` (the built-in model server) goes through here too: a frozen build
has no `python -m workbench.local_server`, so the app re-invokes this executable with the flag.
"""

import sys

from workbench.app.main import main

if __name__ == "__main__":
    sys.exit(main())
