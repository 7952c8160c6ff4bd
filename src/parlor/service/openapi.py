"""The OpenAPI 3.1 document of the service (placeholder until filled in)."""

from __future__ import annotations

from typing import Any


def openapi_document() -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "parlor", "version": "1"}, "paths": {}}
