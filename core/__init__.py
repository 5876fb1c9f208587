"""App wiring: settings, database, users and auth, the app factory and the CLI."""
