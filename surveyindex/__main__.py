"""``python -m surveyindex`` is the same as the ``surveyindex`` command."""

import sys

from .cli import main

sys.exit(main())
