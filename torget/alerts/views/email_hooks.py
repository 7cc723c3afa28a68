"""A mail gateway posts incoming e-mail (answers to alerts) here, raw, with the shared secret."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from torget.alerts.services.inbound import inbound_email_receive

MAX_BYTES = 10 * 1024 * 1024


@csrf_exempt  # a machine endpoint, authenticated by the shared secret instead
@require_POST
def email_inbound(request: HttpRequest) -> HttpResponse:
    secret = settings.EMAIL_INBOUND_SECRET
    given = request.headers.get("X-Torget-Secret", "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return JsonResponse({"error": "unknown sender"}, status=403)
    if len(request.body) > MAX_BYTES:
        return JsonResponse({"error": "larger than 10 MB"}, status=413)
    inbound = inbound_email_receive(request.body)
    if inbound is None:
        return JsonResponse({"error": "no sender address"}, status=400)
    return JsonResponse({"id": inbound.pk, "result": inbound.result})
