"""Spiders, one per source type in sources.yml."""
