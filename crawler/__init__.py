"""The Scrapy project: settings, items and one spider per source type."""
