"""The HTTP layer: the Starlette app (`create_app`), the GraphQL view, websockets, health."""

from .app import create_app

__all__ = ["create_app"]
