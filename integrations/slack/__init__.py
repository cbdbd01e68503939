"""Slack surface: Block Kit rendering, the bolt app, and the HTTP / Socket Mode servers."""
