"""URLs of the hearing results part of participation (included by participation/urls.py)."""

from django.urls import URLPattern, path

from torget.participation.views import hearing_results as views

STAFF = "ansatt/medvirkning/<slug:slug>/horing/<int:pk>/"

urlpatterns: list[URLPattern] = [
    path(f"{STAFF}eksport.csv", views.hearing_export_csv, name="staff-hearing-export-csv"),
    path(f"{STAFF}eksport.pdf", views.hearing_export_pdf, name="staff-hearing-export-pdf"),
    path(f"{STAFF}eksport/", views.hearing_exports, name="staff-hearing-exports"),
    path(
        f"{STAFF}eksport/<int:export_pk>.pdf",
        views.hearing_export_download,
        name="staff-hearing-export-download",
    ),
    path(f"{STAFF}resultat/", views.hearing_result, name="staff-hearing-result"),
]
