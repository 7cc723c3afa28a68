"""The project's URLs. Each app owns its own; this file only wires them."""

from django.contrib import admin
from django.urls import include, path

from torget.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("sprak/<str:code>/", core_views.language_set, name="language-set"),
    path("konto/", include("allauth.urls")),
    path("drift/admin/", admin.site.urls),
    path("", include("torget.accounts.urls")),
    path("", include("torget.conversations.urls")),
    path("", include("torget.insights.urls")),
    path("", include("torget.pages.urls")),
    path("", include("torget.alerts.urls")),
    path("", include("torget.services.urls")),
    path("", include("torget.cases.urls")),
    path("", include("torget.participation.urls")),
    path("", include("torget.core.search.urls")),
    path("lyd/", include("torget.core.speech_urls")),
    path("", include("torget.organisation.urls")),
]

handler400 = "torget.core.views.bad_request"
handler403 = "torget.core.views.permission_denied"
handler404 = "torget.core.views.page_not_found"
handler500 = "torget.core.views.server_error"
# django-allauth answers rate-limited requests with this view.
handler429 = "torget.core.views.too_many_requests"
