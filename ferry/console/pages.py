"""Rendering the console's pages: Jinja2 templates with autoescaping, one base layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

TEMPLATES = Path(__file__).parent / "templates"


def _url(value: str) -> str:
    return quote(value, safe="")


def _size(value: int) -> str:
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


class Pages:
    def __init__(self, mount: str) -> None:
        self.mount = mount
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self._env.filters["url"] = _url
        self._env.filters["size"] = _size
        self._env.globals["mount"] = mount

    def render(self, template: str, **values: Any) -> str:
        return self._env.get_template(template).render(**values)
