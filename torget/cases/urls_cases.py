"""URLs of submitted cases: the resident's case page and attachments, and the staff pages."""

from django.urls import path

from torget.cases.views import cases as views

urlpatterns = [
    path("saker/<str:reference>/", views.case_detail, name="case-detail"),
    path("saker/<str:reference>/vedlegg/<int:pk>/", views.case_attachment, name="case-attachment"),
    path("ansatt/saker/", views.staff_case_list, name="staff-case-list"),
    path("ansatt/saker/<int:pk>/", views.staff_case_detail, name="staff-case-detail"),
    path("ansatt/saker/<int:pk>/status/", views.staff_case_status, name="staff-case-status"),
    path("ansatt/saker/<int:pk>/svar/", views.staff_case_answer, name="staff-case-answer"),
    path("ansatt/saker/<int:pk>/notat/", views.staff_case_note, name="staff-case-note"),
]
