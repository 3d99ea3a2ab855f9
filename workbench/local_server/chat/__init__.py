"""POST /v1/chat/completions on the built-in model: the request checked (request, schema, tools),
the prompt built (prompt), tokens generated in a worker thread (worker, generate, text), and the
answer sent as JSON or SSE (routes)."""
