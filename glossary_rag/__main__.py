"""`python -m glossary_rag ...`: see `glossary_rag.cli`."""

import sys

from glossary_rag.cli import main

sys.exit(main())
