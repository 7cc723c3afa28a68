from django.urls import path

from torget.services.views import public, staff

app_name = "services"
urlpatterns = [
    path("tjenester/", public.situation_list, name="situation-list"),
    # Before <slug>/: "side" is reserved (services.RESERVED_SLUGS).
    path("tjenester/side/<slug:slug>/", public.page_detail, name="page-detail"),
    path("tjenester/side/<slug:slug>/tilbakemelding/", public.page_feedback, name="page-feedback"),
    path("tjenester/<slug:slug>/", public.situation_detail, name="situation-detail"),
    path("ansatt/tjenester/", staff.staff_page_list, name="staff-page-list"),
    path("ansatt/tjenester/ny/", staff.staff_page_create, name="staff-page-create"),
    path("ansatt/tjenester/<int:pk>/endre/", staff.staff_page_edit, name="staff-page-edit"),
    path(
        "ansatt/tjenester/<int:pk>/gjennomgatt/",
        staff.staff_page_review,
        name="staff-page-review",
    ),
    path(
        "ansatt/tjenester/<int:pk>/versjoner/",
        staff.staff_page_history,
        name="staff-page-history",
    ),
    path(
        "ansatt/tjenester/<int:pk>/versjoner/<int:number>/",
        staff.staff_version_detail,
        name="staff-version-detail",
    ),
    path(
        "ansatt/tjenester/<int:pk>/versjoner/<int:number>/gjenopprett/",
        staff.staff_version_restore,
        name="staff-version-restore",
    ),
]
