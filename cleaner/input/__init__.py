"""Reading inputs: a folder's files in a stable order, decoded into Documents (JSON, JSONL,
HTML, text, gzip)."""
