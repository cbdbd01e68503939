"""Platform-neutral feature handlers. `FEATURES` lists every feature router, in dispatch order."""
