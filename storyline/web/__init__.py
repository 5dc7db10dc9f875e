"""The web app: stories, articles, entities and search as HTML pages, a JSON API under
``/api/`` and Atom feeds, read-only over one store. :func:`create_app` builds it;
``storyline serve`` runs it with uvicorn."""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
