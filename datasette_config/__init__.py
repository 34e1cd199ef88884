"""How Datasette publishes the findings: metadata, canned queries, templates."""
