"""URLs of the processes part of participation (included by participation/urls.py)."""

from django.urls import path

from torget.participation.views import processes as views

urlpatterns = [
    path("medvirkning/", views.process_list, name="process-list"),
    path("medvirkning/<slug:slug>/", views.process_detail, name="process-detail"),
    path(
        "medvirkning/<slug:slug>/dokument/<int:pk>/",
        views.document_download,
        name="document",
    ),
    path("ansatt/medvirkning/", views.staff_process_list, name="staff-process-list"),
    path("ansatt/medvirkning/ny/", views.staff_process_create, name="staff-process-create"),
    path(
        "ansatt/medvirkning/<slug:slug>/",
        views.staff_process_detail,
        name="staff-process-detail",
    ),
    path(
        "ansatt/medvirkning/<slug:slug>/rediger/",
        views.staff_process_edit,
        name="staff-process-edit",
    ),
    path(
        "ansatt/medvirkning/<slug:slug>/faser/",
        views.staff_process_phases,
        name="staff-process-phases",
    ),
    path(
        "ansatt/medvirkning/<slug:slug>/dokumenter/",
        views.staff_process_documents,
        name="staff-process-documents",
    ),
    path(
        "ansatt/medvirkning/<slug:slug>/dokumenter/<int:pk>/flytt/",
        views.staff_document_move,
        name="staff-document-move",
    ),
    path(
        "ansatt/medvirkning/<slug:slug>/dokumenter/<int:pk>/slett/",
        views.staff_document_delete,
        name="staff-document-delete",
    ),
]
