"""URLs of the processes part of participation (included by participation/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
