"""Retrieval library: documents, an encoder, a FAISS vector index, lexical search and fusion.

It knows documents (id, type, text, metadata), never the forum's or errata's models: the domains
tell it what changed by writing index events (see ``index.events``) and load documents for it
through loaders registered in ``index.documents``.
"""
