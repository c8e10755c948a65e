"""Command-line commands beyond the core ones in ingestd.cli, one module each."""
