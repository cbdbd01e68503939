"""Microsoft Teams as a chat surface: the bot (`build`, `app`, `handlers`, on the Teams SDK for
Python, imported only when Teams is served) and the app package (`package`, `cli`)."""

import logging
import warnings

# The SDK announces its preview features (HTML widgets) as FutureWarnings when imported; we use
# none of them. (Set here, cheaply, so it is in place before any SDK import.)
warnings.filterwarnings("ignore", category=FutureWarning, module=r"microsoft_teams\.")
# Each SDK HTTP client sets httpx's level to its own logger's; at WARNING, httpx's per-request
# INFO lines (conversation ids, the token endpoint) stay out of the log.
logging.getLogger("microsoft_teams.common.http.client").setLevel(logging.WARNING)
