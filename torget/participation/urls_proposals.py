"""URLs of the proposals part of participation (included by participation/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
