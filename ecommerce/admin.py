"""The admin site as a whole: its index (a dashboard) and its links."""

from django.contrib import admin

# "View site" would open "/", which serves nothing: the API's docs are the site.
admin.site.site_url = "/v1/docs"
admin.site.site_header = "Shop administration"
admin.site.index_title = "Dashboard"
# admin/index.html with the figures of ecommerce.admin_dashboard on top.
admin.site.index_template = "admin/ecommerce/index.html"
