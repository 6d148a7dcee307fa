"""One module per asset; the module and the asset share a name."""
