"""Records: who may do what (accounts), who did what (audit trail) and what every camera saw (event store).

One database holds them: SQLite in the workbench home by default, PostgreSQL by URL in production
(`WORKBENCH_DATABASE_URL`, see `database.py`). Its schema changes only through Alembic migrations in `migrations/`.
This layer sits just above core so that jobs, features and apps can all record what a person did.
"""
