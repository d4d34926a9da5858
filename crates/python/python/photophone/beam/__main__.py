"""``python -m photophone.beam``: see :mod:`photophone.beam.pipeline`."""

import sys

from .pipeline import main

sys.exit(main())
