"""Wires the domains' document loaders into the index library (index/ imports no domain)."""

from __future__ import annotations


def register_loaders() -> None:
    from errata import documents as errata_documents
    from forum import documents as forum_documents

    forum_documents.register()
    errata_documents.register()
