"""Analysis: languages, tokens, topics, trends, audience segments and shifts.

Pure functions and sklearn-style components over posts; they never touch the
crawler, and the orchestration in ``pipelines`` reads and writes the database.
"""
