"""URLs of the shortviews part of participation (included by participation/urls.py)."""

from django.urls import path

from torget.participation.views import shortviews as views

urlpatterns = [
    path(
        "medvirkning/<slug:slug>/korte-synspunkter/",
        views.short_views,
        name="short-views",
    ),
    path(
        "medvirkning/<slug:slug>/korte-synspunkter/stem/",
        views.short_view_vote,
        name="short-view-vote",
    ),
    path(
        "medvirkning/<slug:slug>/korte-synspunkter/nytt/",
        views.short_view_add,
        name="short-view-add",
    ),
    path(
        "ansatt/medvirkning/<slug:slug>/korte-synspunkter/",
        views.staff_short_views,
        name="staff-short-views",
    ),
    path(
        "ansatt/medvirkning/<slug:slug>/korte-synspunkter/<int:pk>/moderer/",
        views.staff_short_view_moderate,
        name="staff-short-view-moderate",
    ),
    path(
        "ansatt/medvirkning/<slug:slug>/korte-synspunkter/<int:pk>/trekk-tilbake/",
        views.staff_short_view_withdraw,
        name="staff-short-view-withdraw",
    ),
]
