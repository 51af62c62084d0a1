"""Site search: one box over products and the doctor's answers.

`models` holds the index table, `services` keeps it up to date (its docstring explains
how and why), `parser` turns typed text into a safe query, `queries` runs it on SQLite
FTS5 or PostgreSQL full text, `views` serves `GET /search`, `cli` rebuilds the index.
"""
