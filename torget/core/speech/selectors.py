"""Reads of read-aloud audio, and what the player shows."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from torget.core.models import SpeechAudio
from torget.core.speech import engine

SIZE_CACHE_SECONDS = 24 * 3600
# Django's own language info spells the first "Bokmal"; these are the names we show.
LANGUAGE_NAMES = {"nb": _("Norwegian Bokmål"), "nn": _("Norwegian Nynorsk"), "en": _("English")}


def speech_get_ready(*, key: str) -> SpeechAudio | None:
    """The ready audio of `key`, or None (unknown, pending or failed)."""
    return SpeechAudio.objects.filter(key=key, status=SpeechAudio.Status.READY).first()


def speech_size(*, audio: SpeechAudio) -> int | None:
    """The size of the audio's file in bytes (kept in the cache: a stat, or a HEAD on S3, on
    every page view would be a waste), or None when the file is missing."""
    cache_key = f"torget:speech-size:{audio.key}"
    size = cache.get(cache_key)
    if size is None:
        try:
            size = default_storage.size(audio.file.name)
        except (FileNotFoundError, OSError):
            return None
        cache.set(cache_key, size, SIZE_CACHE_SECONDS)
    return int(size)


def speech_player_context(*, audio: SpeechAudio, truncated: bool) -> dict[str, Any]:
    """What core/speech_player.html needs to show `audio` in the active language."""
    active = (translation.get_language() or "nb").split("-")[0]
    language = audio.language
    voice_language = engine.VOICE_LANGUAGES.get(engine.voice_for(language) or "", language)
    return {
        "speech": audio,
        "speech_id": f"read-aloud-{audio.key[:12]}",
        "speech_ready": audio.status == SpeechAudio.Status.READY,
        "speech_url": reverse("speech:audio", args=[audio.key]),
        "speech_status_url": reverse("speech:status", args=[audio.key])
        + ("?part=1" if truncated else ""),
        "speech_size": speech_size(audio=audio)
        if audio.status == SpeechAudio.Status.READY
        else None,
        # 0: under a minute.
        "speech_minutes": round((audio.duration_seconds or 0) / 60),
        "speech_truncated": truncated,
        # Say which language is heard when it is not the page's, or not the text's own.
        "speech_voice_differs": voice_language != language,
        "speech_language_name": LANGUAGE_NAMES.get(voice_language, voice_language),
        "speech_text_language_name": LANGUAGE_NAMES.get(language, language),
        "speech_language_differs": voice_language != active,
    }
