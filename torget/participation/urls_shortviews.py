"""URLs of the shortviews part of participation (included by participation/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
