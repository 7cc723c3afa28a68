"""Forms of the participation pages, one module per part."""
