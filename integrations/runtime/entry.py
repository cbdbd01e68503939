"""The `norcrin-bot` entry point: the CLI, started without the cyclic garbage collector.

Importing the bot creates a few hundred thousand objects that live as long as the process
(modules, classes, SQLAlchemy's and Rich's tables). With the collector on, Python scans them
over and over while they are being created, and once more at exit: about a tenth of a second of
every CLI call, for no garbage at all. So the collector is off while the modules load, then
everything loaded so far is frozen (`gc.freeze`: never scanned again, never collected, as the
Python documentation recommends for start-up state) and the collector is switched back on for
whatever the command does, so `serve`, `worker` and `chat` collect as usual.
"""

import gc

gc.disable()

from integrations.runtime.cli import main  # noqa: E402  (after gc.disable, deliberately)

gc.freeze()
gc.enable()

__all__ = ["main"]
