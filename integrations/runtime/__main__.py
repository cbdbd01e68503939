"""`python -m integrations.runtime …` is `norcrin-bot …`."""

import sys

from integrations.runtime.entry import main

sys.exit(main())
