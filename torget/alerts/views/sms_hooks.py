"""The HTTP SMS provider calls back here: delivery receipts and incoming SMS, as JSON, with the
shared secret in the X-Torget-Secret header (TORGET_SMS_WEBHOOK_SECRET).

A receipt `{"id", "status", "error"}` is stored and applied at once when its delivery row is
known (else the delivery engine applies it once the worker has recorded the id). An incoming
SMS `{"id", "from", "text"}` goes to `inbound_receive`, stored once by the provider's id.
Both answer 200 when the same callback comes twice, so the provider stops sending it.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from torget.alerts.models import Medium, Receipt
from torget.alerts.receipts import receipt_record, receipts_apply_pending
from torget.alerts.sms import phone_normalise

PROVIDER = "http"
MAX_BYTES = 64 * 1024
# Provider statuses that are final, and what they mean for the delivery.
DELIVERED = {"delivered", "delivrd"}
FAILED = {"failed", "undelivered", "undeliv", "expired", "rejected", "rejectd", "deleted"}
# Statuses on the way (the provider tells us it has the message): nothing to record.
INTERIM = {"accepted", "acceptd", "queued", "sent", "enroute", "buffered"}


def _authenticated(request: HttpRequest) -> bool:
    secret = settings.SMS_WEBHOOK_SECRET
    given = request.headers.get("X-Torget-Secret", "")
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


def _json(request: HttpRequest) -> dict[str, Any] | None:
    if len(request.body) > MAX_BYTES:
        return None
    try:
        data = json.loads(request.body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return str(value).strip() if isinstance(value, str | int) else ""


@csrf_exempt  # a machine endpoint, authenticated by the shared secret instead
@require_POST
def sms_receipt(request: HttpRequest) -> HttpResponse:
    """A delivery receipt: `{"id": <provider's message id>, "status": ..., "error": ...}`."""
    if not _authenticated(request):
        return JsonResponse({"error": "unknown sender"}, status=403)
    data = _json(request)
    if data is None:
        return JsonResponse({"error": "a JSON object is expected"}, status=400)
    provider_id = _text(data, "id")
    status = _text(data, "status").lower()
    if not provider_id or len(provider_id) > 100:
        return JsonResponse({"error": "id is missing or too long"}, status=400)
    if status in INTERIM:
        return JsonResponse({"recorded": False, "applied": 0})
    if status in DELIVERED:
        outcome, error = Receipt.Status.DELIVERED, ""
    elif status in FAILED:
        outcome = Receipt.Status.FAILED
        error = f"receipt {status}" + (f": {_text(data, 'error')}" if _text(data, "error") else "")
    else:
        return JsonResponse({"error": f"unknown status {status!r}"}, status=400)
    new = receipt_record(provider=PROVIDER, provider_id=provider_id, status=outcome, error=error)
    applied = receipts_apply_pending(provider=PROVIDER, provider_ids=[provider_id])
    return JsonResponse({"recorded": new, "applied": applied})


@csrf_exempt  # a machine endpoint, authenticated by the shared secret instead
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    """An SMS from a resident: `{"id": <provider's id>, "from": <number>, "text": ...}`."""
    if not _authenticated(request):
        return JsonResponse({"error": "unknown sender"}, status=403)
    data = _json(request)
    if data is None:
        return JsonResponse({"error": "a JSON object is expected"}, status=400)
    external_id = _text(data, "id")
    if not external_id or len(external_id) > 200:
        return JsonResponse({"error": "id is missing or too long"}, status=400)
    text = data.get("text")
    if not isinstance(text, str):
        return JsonResponse({"error": "text is missing"}, status=400)
    try:
        # The provider's machine reads the answer: in English.
        with translation.override("en"):
            sender = phone_normalise(_text(data, "from"), sms=False)
    except ValidationError as exc:
        with translation.override("en"):
            return JsonResponse({"error": exc.messages[0]}, status=400)
    from torget.alerts.services.inbound import inbound_receive

    inbound = inbound_receive(
        medium=Medium.SMS,
        provider=PROVIDER,
        external_id=external_id,
        sender=sender,
        body=text,
    )
    return JsonResponse({"id": inbound.pk, "result": inbound.result})
