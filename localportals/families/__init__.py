"""The CMS families, one per platform; each module exposes one ``Family`` object that renders a Site.

A family answers ``route(site, request) -> Response | None`` (None: 404), names its list
entry points (``list_paths``), the path of a document (``detail_path``) and, for configs,
the detail URL pattern (``detail_pattern``). The families are the platforms of
:mod:`eduwatch.platforms`, each in the module ``localportals.families.<platform>``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

from eduwatch.platforms import PLATFORM_NAMES

if TYPE_CHECKING:
    from localportals.model import Doc, Site
    from localportals.pipeline import Request, Response

FAMILIES = PLATFORM_NAMES


class Family(Protocol):
    name: str

    def default_options(self) -> dict[str, object]: ...

    def route(self, site: "Site", request: "Request") -> "Response | None": ...

    def list_paths(self, site: "Site") -> list[str]: ...

    def detail_path(self, site: "Site", doc: "Doc") -> str: ...

    def detail_pattern(self, site: "Site") -> str | None: ...


def family_for(name: str) -> Family:
    if name not in FAMILIES:
        raise ValueError(f"unknown portal family {name!r}; expected one of {', '.join(FAMILIES)}")
    return importlib.import_module(f"localportals.families.{name}").FAMILY
