"""Per-document stages (extract, boilerplate, language, sign) and the corpus stage
templates; build.py assembles them from a configuration."""
