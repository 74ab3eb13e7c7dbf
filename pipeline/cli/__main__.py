"""`python -m pipeline.cli`: the same as `oogst`."""

import sys

from pipeline.cli import main

sys.exit(main())
