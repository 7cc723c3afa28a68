"""Writes of read-aloud audio: ask for it, make it, forget it.

Audio is cached by content: the key is sha256 of the engine id, the language and the prepared
text, so a changed text gets a new key and new audio, and the old audio simply stops being used
(and is pruned later). A SpeechAudio row is the durable record; the task that fills it only
ever moves it from pending (or failed) to ready, and writes the file before it flips the status.

`used_at` means: for a pending row, when it was last enqueued; otherwise, when it was last
offered or served, touched at most once a day. These are system writes, triggered by a page
being shown: there is no actor and nothing to permit.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from torget.core.models import SpeechAudio
from torget.core.speech import engine
from torget.core.storage import unnamed_files_sweep

logger = logging.getLogger(__name__)

Status = SpeechAudio.Status

# A pending row not finished by then is enqueued again by the next page view (its worker may
# have been killed). Running the task twice is harmless.
STALE_PENDING = datetime.timedelta(minutes=10)
TOUCH_EVERY = datetime.timedelta(days=1)
# Files in speech/ that no row names (a run killed between writing and flipping) are swept
# by speech_prune once they are this old, so that a file just written is never taken.
ORPHAN_AGE = datetime.timedelta(days=1)
FOLDER = "speech"


def speech_key(*, text: str, language: str) -> str:
    """The cache key of `text` (already prepared) read in `language` by the current engine."""
    material = "\0".join((engine.engine_id(), language, text))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SpeechRequest:
    """What a page asked for, and the row that answers it."""

    audio: SpeechAudio
    language: str
    truncated: bool


def speech_request(*, text: str, language: str) -> SpeechRequest | None:
    """The audio of `text` in `language`, asked for if there is none yet.

    Returns None when there is nothing to read or no voice for the language. A missing row is
    created pending (get_or_create on the unique key: two requests racing make one row) and
    the task is enqueued after commit by the request that created it; a pending row older than
    STALE_PENDING is enqueued again by the one request that wins a compare-and-set on used_at.
    A ready row has used_at touched at most once a day.
    """
    language = language.lower().split("-")[0]
    if engine.voice_for(language) is None:
        return None
    prepared = engine.prepare_text(text)
    if not prepared.text:
        return None
    key = speech_key(text=prepared.text, language=language)
    now = timezone.now()
    audio, created = SpeechAudio.objects.get_or_create(
        key=key,
        defaults={
            "language": language,
            "status": Status.PENDING,
            "created_at": now,
            "used_at": now,
        },
    )
    if created:
        _enqueue(key=key, language=language, text=prepared.text)
        # With the immediate backend (and outside a transaction) the task has run already.
        audio.refresh_from_db()
    elif audio.status == Status.PENDING and audio.used_at < now - STALE_PENDING:
        claimed = SpeechAudio.objects.filter(
            pk=audio.pk, status=Status.PENDING, used_at=audio.used_at
        ).update(used_at=now)
        if claimed:
            logger.info("speech %s: still pending after %s, enqueued again", key, STALE_PENDING)
            _enqueue(key=key, language=language, text=prepared.text)
    elif audio.status == Status.READY:
        speech_touch(audio=audio, now=now)
    return SpeechRequest(audio=audio, language=language, truncated=prepared.truncated)


def _enqueue(*, key: str, language: str, text: str) -> None:
    from torget.core import tasks

    transaction.on_commit(
        lambda: tasks.generate_speech.enqueue(key=key, language=language, text=text)
    )


def speech_touch(*, audio: SpeechAudio, now: datetime.datetime | None = None) -> None:
    """Record that ready audio was offered or served, at most once a day (so that speech_prune
    keeps it) and without a write on every page view."""
    now = now or timezone.now()
    if audio.used_at < now - TOUCH_EVERY:
        SpeechAudio.objects.filter(pk=audio.pk).update(used_at=now)
        audio.used_at = now


def speech_generate(*, key: str, language: str, text: str) -> SpeechAudio | None:
    """Make the audio of the row `key` from `text` (as prepared by speech_request), store it
    under speech/<key>.mp3 and mark the row ready. Safe to run twice, and at the same time.

    A ready row is left as it is. The file is written first and the status flipped after with
    a conditional update: a run killed in between leaves the row pending (the next run or the
    stale-pending enqueue finishes it) and at worst a file no row names (speech_prune sweeps
    it). Of two concurrent runs, the one that loses the flip deletes its own file. An engine
    error marks the row failed (logged); anything else (say, storage) raises and leaves it
    pending, to be tried again. Returns the row, or None when it is gone (pruned meanwhile).
    """
    audio = SpeechAudio.objects.filter(key=key).first()
    if audio is None or audio.status == Status.READY:
        return audio
    if speech_key(text=text, language=language) != key:
        # Enqueued by an older engine version: pages now ask for another key.
        return _fail(audio, "the engine changed since this audio was asked for")
    try:
        speech = engine.synthesise(text, language)
    except engine.SpeechError as exc:
        return _fail(audio, str(exc))
    name = default_storage.save(f"{FOLDER}/{key}.mp3", ContentFile(speech.mp3))
    flipped = (
        SpeechAudio.objects.filter(pk=audio.pk)
        .exclude(status=Status.READY)
        .update(
            status=Status.READY,
            file=name,
            duration_seconds=speech.duration_seconds,
            error="",
            used_at=timezone.now(),
        )
    )
    if not flipped:
        default_storage.delete(name)
    audio.refresh_from_db()
    return audio


def _fail(audio: SpeechAudio, error: str) -> SpeechAudio:
    logger.warning("speech %s (%s) failed: %s", audio.key, audio.language, error)
    SpeechAudio.objects.filter(pk=audio.pk).exclude(status=Status.READY).update(
        status=Status.FAILED, error=error[:300]
    )
    audio.refresh_from_db()
    return audio


@dataclass(frozen=True)
class PruneResult:
    rows: int
    files: int


def speech_prune(*, days: int, now: datetime.datetime | None = None) -> PruneResult:
    """Delete audio (row and file) not used for `days` days, and files no row names that are
    older than ORPHAN_AGE. A row touched while we prune is kept: each delete is conditional on
    used_at, and its file goes only once its row is gone."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=days)
    rows = files = 0
    stale = SpeechAudio.objects.filter(used_at__lt=cutoff).values_list("pk", "file")
    for pk, name in stale.iterator(chunk_size=500):
        deleted, _ = SpeechAudio.objects.filter(pk=pk, used_at__lt=cutoff).delete()
        if not deleted:
            continue
        rows += 1
        if name and default_storage.exists(name):
            default_storage.delete(name)
            files += 1
    return PruneResult(rows=rows, files=files + _sweep_orphans(now=now))


def _sweep_orphans(*, now: datetime.datetime) -> int:
    return unnamed_files_sweep(folder=FOLDER, model=SpeechAudio, before=now - ORPHAN_AGE)
