"""The schema's Alembic revisions: every change to the models is a new revision here."""
