"""Alerts: the public alert pages and feeds, subscriptions, staff composing and provider hooks."""

from django.urls import path

from torget.alerts.views import public, subscriptions

app_name = "alerts"

urlpatterns = [
    path("varsler/", public.alert_list, name="alert-list"),
    path("varsler/<int:pk>/", public.alert_detail, name="alert-detail"),
    path("varsler/abonner/", subscriptions.subscribe, name="subscribe"),
    path(
        "varsler/abonnement/<str:token>/",
        subscriptions.subscription_manage,
        name="subscription-manage",
    ),
]
