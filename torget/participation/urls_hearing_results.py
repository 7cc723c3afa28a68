"""URLs of the hearing results part of participation (included by participation/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
