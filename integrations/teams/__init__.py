"""Microsoft Teams as a chat surface, on the Teams SDK for Python (`microsoft-teams-apps`)."""

import logging
import warnings

from microsoft_teams.common.experimental import ExperimentalWarning

# The SDK announces its preview features (HTML widgets) when imported; we use none of them.
warnings.filterwarnings("ignore", category=ExperimentalWarning)


class _QuietHttpx(logging.Filter):
    """httpx logs every request line at INFO (conversation ids, the token endpoint); the SDK's
    client resets httpx's level on each construction, so a filter keeps only warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


_httpx_log = logging.getLogger("httpx")
if not any(isinstance(f, _QuietHttpx) for f in _httpx_log.filters):
    _httpx_log.addFilter(_QuietHttpx())
