import sys

from workbench.local_server.cli import main

sys.exit(main())
