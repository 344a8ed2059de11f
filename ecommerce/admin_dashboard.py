"""The figures on the admin's index page: what staff check first each morning.

Each app contributes its own tiles from a ``dashboard.py`` module (found like
``admin.py`` modules are), so this module imports no app: dependencies keep
pointing down (``payments -> orders -> catalog -> accounts -> ecommerce``).

    # orders/dashboard.py
    @dashboard_panel(position=10)
    def order_tiles() -> list[DashboardTile]:
        return [DashboardTile("Orders waiting to ship", "3", "/admin/orders/order/?status=paid")]

A panel makes one query per tile or fewer; ``tests`` pin the total.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.http import urlencode
from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class DashboardTile:
    title: str
    value: str
    url: str
    # "warning" draws the tile in the admin's warning colour (something to do).
    tone: str = ""


Panel = Callable[[], list[DashboardTile]]
_panels: list[tuple[int, Panel]] = []
_discovered = False


def dashboard_panel(*, position: int) -> Callable[[Panel], Panel]:
    def register(panel: Panel) -> Panel:
        _panels.append((position, panel))
        _panels.sort(key=lambda entry: entry[0])
        return panel

    return register


def dashboard_tiles() -> list[DashboardTile]:
    global _discovered
    if not _discovered:
        autodiscover_modules("dashboard")
        _discovered = True
    return [tile for _, panel in _panels for tile in panel()]


def today_bounds() -> tuple[datetime, datetime]:
    """Midnight to midnight of today, in the site's time zone (``TIME_ZONE``)."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def today_query(field: str) -> str:
    """The changelist query of the admin's own "Today" date filter on ``field``."""
    start, end = today_bounds()
    # The strings Django's DateFieldListFilter puts in its "Today" link.
    return urlencode({f"{field}__gte": str(start), f"{field}__lt": str(end)})
