"""The live SMS counter of the compose page: the server counts, the page only shows it."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from torget.alerts.sms import MAX_SEGMENTS, sms_length
from torget.organisation.policies import is_staff_in

# Far beyond 10 segments; anything longer is not counted, only refused.
MAX_TEXT = 5000


@require_POST
def sms_length_view(request: HttpRequest) -> HttpResponse:
    """`{"encoding", "characters", "segments", "remaining", "max_segments", "too_long"}` for the
    `text` posted (a form field, or a JSON object `{"text": ...}`). Staff only."""
    if not request.user.is_authenticated or not is_staff_in(
        request.user,
        request.municipality,  # type: ignore[attr-defined]
    ):
        raise PermissionDenied
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            data = None
        text = data.get("text") if isinstance(data, dict) else None
    else:
        text = request.POST.get("text")
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return JsonResponse({"error": "text is missing or too long"}, status=400)
    length = sms_length(text.replace("\r\n", "\n"))
    return JsonResponse(
        {
            "encoding": length.encoding,
            "characters": length.characters,
            "segments": length.segments,
            "remaining": length.remaining,
            "max_segments": MAX_SEGMENTS,
            "too_long": length.too_long,
        }
    )
