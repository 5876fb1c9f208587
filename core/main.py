"""The ASGI app, for uvicorn: ``uvicorn core.main:app``."""

from core.app import create_app

app = create_app()
