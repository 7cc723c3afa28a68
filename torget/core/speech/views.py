"""The read-aloud files and their status, at /lyd/ (see torget.core.speech_urls)."""

from __future__ import annotations

import re
from typing import IO, Literal

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from torget.core.models import SpeechAudio
from torget.core.speech import selectors, services

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Content-addressed, so it never changes. Private, not public: the anonymous page cache in
# front of Django (torget.core.asgi_cache) keys on path and language, not Range, and would
# answer a seeking player's Range request with a stored 200 of the whole file (Safari then
# refuses to play). Browsers still keep the file for a year.
_CACHE_CONTROL = "private, max-age=31536000, immutable"


class _Slice:
    """`length` bytes of an open file from where it stands: what FileResponse streams for a
    range. Closing it closes the file."""

    def __init__(self, handle: IO[bytes], length: int) -> None:
        self.handle = handle
        self.left = length

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        size = self.left if size < 0 else min(size, self.left)
        data = self.handle.read(size)
        self.left -= len(data)
        return data

    def close(self) -> None:
        self.handle.close()


def _byte_range(header: str, size: int) -> tuple[int, int] | Literal[False] | None:
    """The (first, last) byte asked for by a single-range Range header; None when the header
    is absent, malformed or asks for several ranges (we then send the whole file, as HTTP
    allows); False when it cannot be satisfied."""
    match = _RANGE.match(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        suffix = int(last)
        if suffix == 0:
            return False
        return max(size - suffix, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size:
        return False
    if end < start:
        return None
    return start, end


@require_safe
def audio_file(request: HttpRequest, key: str) -> HttpResponseBase:
    """The MP3 of ready audio, with Range support (206) so that players can seek; 404 unless
    ready. Served inline, never sniffed, and cached for a year (the key names the content)."""
    audio = selectors.speech_get_ready(key=key)
    if audio is None or not audio.file:
        raise Http404("audio")
    etag = f'"{audio.key}"'
    if etag in request.headers.get("If-None-Match", ""):
        not_modified = HttpResponse(status=304)
        _file_headers(not_modified, etag)
        return not_modified
    try:
        size = default_storage.size(audio.file.name)
        handle = default_storage.open(audio.file.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("audio file") from exc
    services.speech_touch(audio=audio)
    wanted = _byte_range(request.headers.get("Range", ""), size)
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range != etag:
        wanted = None  # the client's copy is of something else: send it all
    if wanted is False:
        handle.close()
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        _file_headers(refused, etag)
        return refused
    if wanted is None:
        response = FileResponse(handle, content_type="audio/mpeg")
    else:
        first, last = wanted
        handle.seek(first)
        response = FileResponse(_Slice(handle, last - first + 1), content_type="audio/mpeg")
        response.status_code = 206
        response["Content-Length"] = str(last - first + 1)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    _file_headers(response, etag)
    return response


def _file_headers(response: HttpResponseBase, etag: str) -> None:
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Cache-Control"] = _CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"


@never_cache
@require_safe
def audio_status(request: HttpRequest, key: str) -> JsonResponse:
    """Whether the audio of `key` is pending, ready or failed. When ready: its URL, and the
    player's markup in the visitor's language (what static/js/speech.js swaps in)."""
    audio = SpeechAudio.objects.filter(key=key).first()
    if audio is None:
        return JsonResponse({"status": "unknown"}, status=404)
    body: dict[str, str] = {"status": audio.status}
    if audio.status == SpeechAudio.Status.READY:
        context = selectors.speech_player_context(
            audio=audio, truncated=request.GET.get("part") == "1"
        )
        body["url"] = context["speech_url"]
        body["html"] = render_to_string("core/speech_player.html", context, request=request)
        body["message"] = _("The audio is ready.")
    return JsonResponse(body)
