"""Alerts: the public alert pages and feeds, subscriptions, staff composing and provider hooks."""

from django.urls import path

from torget.alerts.views import public

app_name = "alerts"

urlpatterns = [
    path("varsler/", public.alert_list, name="alert-list"),
    path("varsler/<int:pk>/", public.alert_detail, name="alert-detail"),
]
