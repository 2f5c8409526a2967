"""Stack config: typed models and the loader."""
