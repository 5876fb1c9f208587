"""The application: the one package that imports every domain (factory, CLI, demo, imports)."""
