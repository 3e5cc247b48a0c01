"""newsetl: collect, clean, validate, deduplicate and warehouse Chinese news articles."""

__version__ = "0.1.0"
