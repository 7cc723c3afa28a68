"""URLs of the proposals part of participation (included by participation/urls.py)."""

from django.urls import URLPattern, path

from torget.participation.views import proposals as views

urlpatterns: list[URLPattern] = [
    path("medvirkning/<slug:slug>/forslag/", views.proposal_list, name="proposal-list"),
    path(
        "medvirkning/<slug:slug>/forslag/<int:pk>/", views.proposal_detail, name="proposal-detail"
    ),
    path(
        "medvirkning/<slug:slug>/forslag/<int:pk>/stotte/",
        views.proposal_support,
        name="proposal-support",
    ),
    path(
        "medvirkning/<slug:slug>/forslag/<int:pk>/status/",
        views.proposal_status,
        name="proposal-status",
    ),
    path(
        "medvirkning/<slug:slug>/forslag/<int:pk>/tegning.geojson",
        views.proposal_drawing,
        name="proposal-drawing",
    ),
    path(
        "medvirkning/<slug:slug>/forslag/<int:pk>/bilde/",
        views.proposal_image,
        name="proposal-image",
    ),
]
