import sys

from workbench.app.main import main

sys.exit(main())
