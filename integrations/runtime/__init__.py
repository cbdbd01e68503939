"""The top of the house: the composition root (`wiring`), the CLI and the worker process.

Only this package wires storage, features and surfaces together; nothing imports it.
"""
