"""Microsoft Teams as a chat surface, on the Teams SDK for Python (`microsoft-teams-apps`)."""
