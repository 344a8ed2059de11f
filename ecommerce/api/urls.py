"""Route helper: every API route answers with and without a trailing slash."""

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, path


def api_path(route: str, view: Callable[..., Any], name: str) -> list[URLPattern]:
    """``route`` and ``route/``, same view, no redirect (a POST body survives)."""
    return [path(route, view, name=name), path(f"{route}/", view)]
