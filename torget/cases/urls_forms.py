"""Self-service forms: residents fill them in (`/skjema/`), staff define them (`/ansatt/skjema/`).

The receipt PDF sits under the case's own address (`/saker/<reference>/kvittering.pdf`)."""

from django.urls import path

from torget.cases.views import form_admin, forms

urlpatterns = [
    path("skjema/", forms.form_list, name="form-list"),
    path("skjema/kvittering/<str:reference>/", forms.receipt_detail, name="receipt"),
    path("skjema/<slug:slug>/", forms.form_fill, name="form-fill"),
    path("saker/<str:reference>/kvittering.pdf", forms.receipt_download, name="receipt-pdf"),
    path("ansatt/skjema/", form_admin.form_admin_list, name="form-admin-list"),
    path("ansatt/skjema/nytt/", form_admin.form_admin_create, name="form-admin-create"),
    path("ansatt/skjema/<int:pk>/", form_admin.form_admin_edit, name="form-admin-edit"),
    path(
        "ansatt/skjema/<int:pk>/forhandsvisning/",
        form_admin.form_admin_preview,
        name="form-admin-preview",
    ),
    path(
        "ansatt/skjema/<int:pk>/felt/nytt/",
        form_admin.field_admin_create,
        name="field-admin-create",
    ),
    path(
        "ansatt/skjema/<int:pk>/felt/<int:field_pk>/",
        form_admin.field_admin_edit,
        name="field-admin-edit",
    ),
    path(
        "ansatt/skjema/<int:pk>/felt/<int:field_pk>/slett/",
        form_admin.field_admin_delete,
        name="field-admin-delete",
    ),
    path(
        "ansatt/skjema/<int:pk>/felt/<int:field_pk>/flytt/",
        form_admin.field_admin_move,
        name="field-admin-move",
    ),
]
