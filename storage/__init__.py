"""Persistence: models, the database handle, migrations, importers and the search index."""
