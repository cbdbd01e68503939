"""The terminal surface: a Rich REPL that renders the same replies as Slack."""
