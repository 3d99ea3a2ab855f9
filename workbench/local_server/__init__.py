"""The embedded OpenAI-compatible server. Runs as its own process; never imports Qt or the app."""
