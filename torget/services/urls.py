from django.urls import path

from torget.services import views

app_name = "services"
urlpatterns = [
    path("tjenester/", views.situation_list, name="situation-list"),
    # Before <slug>/: "side" is reserved (services.RESERVED_SLUGS).
    path("tjenester/side/<slug:slug>/", views.page_detail, name="page-detail"),
    path("tjenester/side/<slug:slug>/tilbakemelding/", views.page_feedback, name="page-feedback"),
    path("tjenester/<slug:slug>/", views.situation_detail, name="situation-detail"),
    path("ansatt/tjenester/", views.staff_page_list, name="staff-page-list"),
    path("ansatt/tjenester/ny/", views.staff_page_create, name="staff-page-create"),
    path("ansatt/tjenester/<int:pk>/endre/", views.staff_page_edit, name="staff-page-edit"),
    path(
        "ansatt/tjenester/<int:pk>/gjennomgatt/",
        views.staff_page_review,
        name="staff-page-review",
    ),
    path(
        "ansatt/tjenester/<int:pk>/versjoner/",
        views.staff_page_history,
        name="staff-page-history",
    ),
    path(
        "ansatt/tjenester/<int:pk>/versjoner/<int:number>/",
        views.staff_version_detail,
        name="staff-version-detail",
    ),
    path(
        "ansatt/tjenester/<int:pk>/versjoner/<int:number>/gjenopprett/",
        views.staff_version_restore,
        name="staff-version-restore",
    ),
]
