"""What moves data between the stages: item pipelines, the run, the CLI."""
