"""Surfaces and remote services: Slack (bolt), the terminal, Microsoft Graph."""
