"""`python -m integrations.runtime …` is `norcrin-bot …`."""

import sys

from integrations.runtime.cli import main

sys.exit(main())
