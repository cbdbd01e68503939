"""norcrin-bot core: configuration, domain types, language, routing and the CLI."""
