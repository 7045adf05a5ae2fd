"""The import engine: one connection's tenant into one atomic snapshot."""
