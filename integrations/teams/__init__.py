"""Microsoft Teams as a chat surface, on the Teams SDK for Python (`microsoft-teams-apps`)."""

import logging
import warnings

from microsoft_teams.common.experimental import ExperimentalWarning

# The SDK announces its preview features (HTML widgets) when imported; we use none of them.
warnings.filterwarnings("ignore", category=ExperimentalWarning)

# Each SDK HTTP client sets httpx's level to its own logger's; at WARNING, httpx's per-request
# INFO lines (conversation ids, the token endpoint) stay out of the log.
logging.getLogger("microsoft_teams.common.http.client").setLevel(logging.WARNING)
