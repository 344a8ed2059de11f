from django import template

from ecommerce.admin_dashboard import DashboardTile, dashboard_tiles

register = template.Library()


@register.simple_tag
def dashboard() -> list[DashboardTile]:
    return dashboard_tiles()
