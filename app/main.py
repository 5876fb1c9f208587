"""The ASGI app, for uvicorn: ``uvicorn app.main:app``."""

from app.app import create_app

app = create_app()
