"""Public alert pages (placeholder until the public side is built)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from torget.alerts.models import Alert


def alert_list(request: HttpRequest) -> HttpResponse:
    alerts = Alert.objects.filter(
        municipality=request.municipality, status=Alert.Status.SENT, original=None
    )[:50]
    return render(request, "alerts/alert_list.html", {"alerts": alerts})


def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = Alert.objects.filter(
        municipality=request.municipality, status=Alert.Status.SENT, original=None, pk=pk
    ).first()
    if alert is None:
        raise Http404
    return render(request, "alerts/alert_detail.html", {"alert": alert})
