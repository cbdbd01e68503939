"""Microsoft Teams as a chat surface: the app package (and, with issue 11, the bot itself)."""
