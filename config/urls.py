from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.api_errors import api_not_found
from config.health import healthz
from partners import views as partner_views

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file of its own: no inline script (CSP).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/docs.html"),
        name="api-docs",
    ),
    path("", include("pos.urls_api")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("pos/", include("pos.urls")),
    path("my/", include("mycard.urls")),
    path("manager/partners/", partner_views.manager_costs, name="manager_partner_costs"),
    path("manager/", include("dashboard.urls")),
    path("partner/", include("partners.urls")),
    # Anything else under /api/ answers in the API's error body, not an HTML 404.
    path("api/<path:rest>", api_not_found),
]

handler400 = "config.api_errors.bad_request"
handler403 = "config.api_errors.permission_denied"
handler404 = "config.api_errors.page_not_found"
handler500 = "config.api_errors.server_error"
