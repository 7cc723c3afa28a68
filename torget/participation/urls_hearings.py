"""URLs of the hearings part of participation (included by participation/urls.py)."""

from django.urls import URLPattern, path

from torget.participation.views import hearings as views

PUBLIC = "medvirkning/<slug:slug>/horing/<int:pk>/"
STAFF = "ansatt/medvirkning/<slug:slug>/horing/"

urlpatterns: list[URLPattern] = [
    path(PUBLIC, views.hearing_detail, name="hearing-detail"),
    path(f"{PUBLIC}uttalelse/<int:number>/", views.statement_detail, name="statement-detail"),
    path(
        f"{PUBLIC}uttalelse/<int:number>/vedlegg/<int:attachment_pk>/",
        views.statement_attachment,
        name="statement-attachment",
    ),
    path(f"{STAFF}ny/", views.staff_hearing_new, name="staff-hearing-new"),
    path(f"{STAFF}<int:pk>/", views.staff_hearing_detail, name="staff-hearing-detail"),
    path(f"{STAFF}<int:pk>/deler/ny/", views.staff_section_add, name="staff-section-add"),
    path(
        f"{STAFF}<int:pk>/deler/<int:section_pk>/",
        views.staff_section_edit,
        name="staff-section-edit",
    ),
    path(
        f"{STAFF}<int:pk>/deler/<int:section_pk>/flytt/",
        views.staff_section_move,
        name="staff-section-move",
    ),
    path(
        f"{STAFF}<int:pk>/deler/<int:section_pk>/slett/",
        views.staff_section_delete,
        name="staff-section-delete",
    ),
    path(
        f"{STAFF}<int:pk>/uttalelser/",
        views.staff_hearing_statements,
        name="staff-hearing-statements",
    ),
]
