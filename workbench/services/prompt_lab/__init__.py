"""The Prompt Lab's I/O: a matrix's cells as runs through the one run path, stored as they end."""
