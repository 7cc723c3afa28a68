"""Read-aloud audio: the cache and its task, the player tag, the file and status views, and
pruning. Audio is made for real by espeak-ng (see test_speech_engine.py for the engine)."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import io
import logging
import os
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.asgi import get_asgi_application
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from conftest import run_tasks
from torget.core import tasks
from torget.core.asgi_cache import AnonymousPageCache
from torget.core.models import SpeechAudio
from torget.core.speech import engine, services
from torget.organisation.models import Unit
from torget.pages.tests.factories import post_make

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
TEXT = "Søk barnehageplass innen første mars.\n\nSøknaden gjelder fra august."
PENDING_TEXT = "The audio is being prepared. Reload the page in a moment."


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def render(text: str, language: str = "", active: str = "en") -> str:
    """The tag as a page renders it, with the commit hooks run (a request commits at once)."""
    template = Template("{% load speech %}{% read_aloud text language=language %}")
    with translation.override(active):
        return template.render(Context({"text": text, "language": language}))


def speech_tasks() -> int:
    return DBTaskResult.objects.filter(task_path="torget.core.tasks.generate_speech").count()


def ready(text: str = TEXT, language: str = "nb") -> SpeechAudio:
    """Audio of `text`, asked for and made as the page and the worker would."""
    asked = services.speech_request(text=text, language=language)
    assert asked is not None
    audio = services.speech_generate(
        key=asked.audio.key, language=language, text=engine.prepare_text(text).text
    )
    assert audio is not None and audio.status == SpeechAudio.Status.READY
    return audio


def stored(audio: SpeechAudio) -> bytes:
    with default_storage.open(audio.file.name, "rb") as handle:
        return handle.read()


# --- the key -------------------------------------------------------------------------------


def test_speech_key_is_a_hash_of_engine_language_and_text() -> None:
    key = services.speech_key(text="Hei.", language="nb")
    expected = hashlib.sha256(f"{engine.engine_id()}\0nb\0Hei.".encode()).hexdigest()
    assert key == expected
    assert services.speech_key(text="Hei.", language="nb") == key
    assert services.speech_key(text="Hei!", language="nb") != key
    assert services.speech_key(text="Hei.", language="nn") != key
    assert "espeak-ng/" in engine.engine_id() and "lameenc/" in engine.engine_id()


@pytest.mark.django_db
def test_speech_request_keys_on_the_prepared_text(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = services.speech_request(text="Åpent  i dag.\n", language="nb")
        same = services.speech_request(text=" Åpent i\tdag.", language="nb-NO")
        changed = services.speech_request(text="Åpent i morgen.", language="nb")
    assert first is not None and same is not None and changed is not None
    assert same.audio.pk == first.audio.pk
    assert changed.audio.key != first.audio.key
    assert services.speech_request(text="  \n ", language="nb") is None
    assert services.speech_request(text="Buorre beaivi.", language="se") is None


# --- the tag and the task -------------------------------------------------------------------


@pytest.mark.django_db
def test_read_aloud_makes_one_pending_row_and_one_task_per_text(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        html = render(TEXT)
    [audio] = SpeechAudio.objects.all()
    assert audio.status == SpeechAudio.Status.PENDING and audio.language == "en"
    assert speech_tasks() == 1
    assert PENDING_TEXT in html
    assert 'role="status"' in html and 'aria-live="polite"' in html
    assert f'data-speech-status-url="/lyd/{audio.key}/status.json"' in html
    assert '<script src="/static/js/speech.' in html and "<audio" not in html

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = render(TEXT)
    assert callbacks == [] and speech_tasks() == 1
    assert SpeechAudio.objects.count() == 1
    assert PENDING_TEXT in again

    with django_capture_on_commit_callbacks(execute=True):
        render(TEXT + " Ny setning.")
    assert SpeechAudio.objects.count() == 2 and speech_tasks() == 2


@pytest.mark.django_db
def test_task_makes_the_audio_and_a_second_run_does_nothing(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        render(TEXT, language="nb")
    assert run_tasks() == 1
    audio = SpeechAudio.objects.get()
    assert audio.status == SpeechAudio.Status.READY
    assert audio.file.name == f"speech/{audio.key}.mp3"
    assert stored(audio)[:2] == b"\xff\xf3"
    assert audio.duration_seconds is not None and 3 < audio.duration_seconds < 12
    written = os.stat(Path(default_storage.path(audio.file.name))).st_mtime_ns

    tasks.generate_speech.call(key=audio.key, language="nb", text=engine.prepare_text(TEXT).text)
    again = SpeechAudio.objects.get()
    assert (again.status, again.file.name, again.duration_seconds) == (
        SpeechAudio.Status.READY,
        audio.file.name,
        audio.duration_seconds,
    )
    assert os.listdir(default_storage.path("speech")) == [f"{audio.key}.mp3"]
    assert os.stat(Path(default_storage.path(audio.file.name))).st_mtime_ns == written


@pytest.mark.django_db
def test_pending_audio_left_by_a_killed_worker_is_finished(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The worker died after writing half a file and before flipping the status: the row is
    pending with no file. A page view after STALE_PENDING enqueues it again, once; the run
    writes a whole file beside the half one, which speech_prune sweeps a day later."""
    text = engine.prepare_text(TEXT).text
    key = services.speech_key(text=text, language="nb")
    start = timezone.now()
    SpeechAudio.objects.create(key=key, language="nb", created_at=start, used_at=start)
    default_storage.save(f"speech/{key}.mp3", io.BytesIO(b"\xff\xf3\x60"))

    with time_machine.travel(start + datetime.timedelta(minutes=5)):
        with django_capture_on_commit_callbacks(execute=True):
            assert PENDING_TEXT in render(TEXT, language="nb")
        assert speech_tasks() == 0  # maybe only slow: not yet
    with time_machine.travel(start + services.STALE_PENDING + datetime.timedelta(seconds=1)):
        with django_capture_on_commit_callbacks(execute=True):
            render(TEXT, language="nb")
            render(TEXT, language="nb")
        assert speech_tasks() == 1
        run_tasks()
    audio = SpeechAudio.objects.get()
    assert audio.status == SpeechAudio.Status.READY
    assert audio.file.name != f"speech/{key}.mp3"  # never written over the half file
    assert len(stored(audio)) > 10_000

    with time_machine.travel(start + datetime.timedelta(days=2)):
        result = services.speech_prune(days=30)
    assert (result.rows, result.files) == (0, 1)
    assert os.listdir(default_storage.path("speech")) == [Path(audio.file.name).name]


@pytest.mark.django_db
def test_a_rerun_finishes_a_pending_row_without_a_file() -> None:
    text = engine.prepare_text("Biblioteket er stengt i dag.").text
    key = services.speech_key(text=text, language="nb")
    now = timezone.now()
    SpeechAudio.objects.create(key=key, language="nb", created_at=now, used_at=now)
    tasks.generate_speech.call(key=key, language="nb", text=text)
    audio = SpeechAudio.objects.get(key=key)
    assert audio.status == SpeechAudio.Status.READY and stored(audio)[:2] == b"\xff\xf3"


@pytest.mark.django_db
def test_failed_audio_shows_no_player_and_is_logged(
    django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Enqueued under an older engine: the key no longer matches the text, the run refuses.
    with django_capture_on_commit_callbacks(execute=True):
        render(TEXT, language="nb")
    audio = SpeechAudio.objects.get()
    with caplog.at_level(logging.INFO):
        services.speech_generate(key=audio.key, language="nb", text="Another text.")
        html = render(TEXT, language="nb")
    audio.refresh_from_db()
    assert audio.status == SpeechAudio.Status.FAILED
    assert audio.error == "the engine changed since this audio was asked for"
    assert html == ""
    assert f"speech {audio.key} failed, no player" in caplog.text
    assert not default_storage.exists(f"speech/{audio.key}.mp3")


# --- the player -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_player_when_ready_in_english() -> None:
    audio = ready(language="en", text="The library opens at ten.")
    html = render("The library opens at ten.", language="en")
    size_kb = len(stored(audio)) / 1024
    assert f'aria-labelledby="read-aloud-{audio.key[:12]}"' in html
    assert "<strong>Listen to this page</strong>" in html
    assert "(under a minute)" in html
    assert f'<audio controls preload="none" src="/lyd/{audio.key}.mp3"' in html
    assert f"Download the audio (MP3, {size_kb:.1f}\xa0KB)" in html
    assert "Read aloud in" not in html  # the page's own language
    assert PENDING_TEXT not in html and "speech.js" not in html
    SpeechAudio.objects.filter(pk=audio.pk).update(duration_seconds=214.0)
    assert "(about 4 minutes)" in render("The library opens at ten.", language="en")


@pytest.mark.django_db
def test_player_states_the_language_when_it_is_not_the_pages_or_the_texts() -> None:
    ready(language="nn")
    nynorsk = render(TEXT, language="nn")
    assert "Read aloud in Norwegian Bokmål: there is no voice for Norwegian Nynorsk yet." in nynorsk
    ready(language="nb")
    assert "Read aloud in Norwegian Bokmål." in render(TEXT, language="nb", active="en")
    assert "Read aloud in" not in render(TEXT, language="nb", active="nb")


@pytest.mark.django_db
def test_player_says_when_only_the_beginning_is_read(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        html = render("Ord. " * 5000)
    assert "The audio reads only the beginning of the text." in html
    key = SpeechAudio.objects.get().key
    assert f'data-speech-status-url="/lyd/{key}/status.json?part=1"' in html


@pytest.mark.django_db
def test_ready_audio_is_touched_at_most_once_a_day() -> None:
    audio = ready()
    made = audio.used_at
    with time_machine.travel(made + datetime.timedelta(hours=20)):
        render(TEXT, language="nb")
    assert SpeechAudio.objects.get().used_at == made
    later = made + datetime.timedelta(days=1, hours=1)
    with time_machine.travel(later):
        render(TEXT, language="nb")
    assert SpeechAudio.objects.get().used_at == later


# --- the views ------------------------------------------------------------------------------


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_audio_file_is_served_whole_and_by_range(client: Client, municipality: Any) -> None:
    audio = ready()
    data = stored(audio)
    size = len(data)
    url = f"/lyd/{audio.key}.mp3"

    whole = client.get(url)
    assert whole.status_code == 200 and body(whole) == data
    assert whole["Content-Type"] == "audio/mpeg"
    assert whole["Content-Length"] == str(size)
    assert whole["Accept-Ranges"] == "bytes"
    assert whole["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in whole["Cache-Control"]
    assert whole["ETag"] == f'"{audio.key}"'

    first = client.get(url, HTTP_RANGE="bytes=0-99")
    assert first.status_code == 206
    assert first["Content-Range"] == f"bytes 0-99/{size}"
    assert first["Content-Length"] == "100" and body(first) == data[:100]

    rest = client.get(url, HTTP_RANGE="bytes=100-")
    assert rest.status_code == 206 and body(rest) == data[100:]
    assert rest["Content-Range"] == f"bytes 100-{size - 1}/{size}"

    tail = client.get(url, HTTP_RANGE="bytes=-50")
    assert tail.status_code == 206 and body(tail) == data[-50:]

    beyond = client.get(url, HTTP_RANGE="bytes=0-999999999")
    assert beyond.status_code == 206 and body(beyond) == data

    refused = client.get(url, HTTP_RANGE=f"bytes={size}-")
    assert refused.status_code == 416 and refused["Content-Range"] == f"bytes */{size}"

    several = client.get(url, HTTP_RANGE="bytes=0-9,20-29")
    assert several.status_code == 200 and body(several) == data

    stale = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"something-else"')
    assert stale.status_code == 200 and body(stale) == data

    fresh = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=f'"{audio.key}"')
    assert fresh.status_code == 206 and body(fresh) == data[:10]

    assert client.get(url, HTTP_IF_NONE_MATCH=f'"{audio.key}"').status_code == 304
    assert client.post(url).status_code == 405


def test_audio_file_is_404_unless_ready(client: Client, municipality: Any) -> None:
    now = timezone.now()
    pending = SpeechAudio.objects.create(key="a" * 64, language="nb", created_at=now, used_at=now)
    failed = SpeechAudio.objects.create(
        key="b" * 64, language="nb", status="failed", created_at=now, used_at=now
    )
    for key in (pending.key, failed.key, "c" * 64):
        assert client.get(f"/lyd/{key}.mp3").status_code == 404
    assert client.get("/lyd/../settings.mp3").status_code == 404
    assert client.get("/lyd/ABC.mp3").status_code == 404


def test_status_json_says_pending_ready_or_failed(client: Client, municipality: Any) -> None:
    now = timezone.now()
    SpeechAudio.objects.create(key="a" * 64, language="nb", created_at=now, used_at=now)
    SpeechAudio.objects.create(
        key="b" * 64, language="nb", status="failed", created_at=now, used_at=now
    )
    pending = client.get(f"/lyd/{'a' * 64}/status.json", **EN)
    assert pending.json() == {"status": "pending"}
    assert "no-cache" in pending["Cache-Control"]
    assert client.get(f"/lyd/{'b' * 64}/status.json").json() == {"status": "failed"}
    unknown = client.get(f"/lyd/{'c' * 64}/status.json")
    assert unknown.status_code == 404 and unknown.json() == {"status": "unknown"}

    audio = ready()
    answer = client.get(f"/lyd/{audio.key}/status.json?part=1", **EN).json()
    assert answer["status"] == "ready"
    assert answer["url"] == f"/lyd/{audio.key}.mp3"
    assert answer["message"] == "The audio is ready."
    assert "Listen to this page" in answer["html"]
    assert f'src="/lyd/{audio.key}.mp3"' in answer["html"]
    assert "Read aloud in Norwegian Bokmål." in answer["html"]
    assert "The audio reads only the beginning of the text." in answer["html"]


# --- on posts -------------------------------------------------------------------------------


def test_post_page_reads_title_and_body_aloud(
    client: Client, library: Unit, django_capture_on_commit_callbacks: Any
) -> None:
    post = post_make(library, title="Lesekveld torsdag", body="Velkommen til lesekveld kl. 18.")
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(f"/innlegg/{post.pk}/", **EN).text
    assert PENDING_TEXT in first
    audio = SpeechAudio.objects.get()
    # The post is in the municipality's målform, whatever the visitor reads the page in.
    text = engine.prepare_text("Lesekveld torsdag\n\nVelkommen til lesekveld kl. 18.").text
    assert audio.key == services.speech_key(text=text, language="nb")
    run_tasks()
    page = client.get(f"/innlegg/{post.pk}/", **EN).text
    player = page.index(f'<audio controls preload="none" src="/lyd/{audio.key}.mp3"')
    assert page.index('id="post-title"') < player < page.index('class="post__body"')
    assert "Read aloud in Norwegian Bokmål." in page


# --- pruning --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_speech_prune_deletes_audio_unused_for_the_given_days() -> None:
    old = ready(text="Gammel tekst om brøyting.")
    recent = ready(text="Ny tekst om brøyting.")
    now = timezone.now()
    SpeechAudio.objects.filter(pk=old.pk).update(used_at=now - datetime.timedelta(days=31))
    SpeechAudio.objects.filter(pk=recent.pk).update(used_at=now - datetime.timedelta(days=29))
    stale_pending = SpeechAudio.objects.create(
        key="d" * 64,
        language="nb",
        created_at=now - datetime.timedelta(days=40),
        used_at=now - datetime.timedelta(days=40),
    )
    # A file no row names: written by a run killed before it flipped the status, a day ago.
    orphan = default_storage.save("speech/orphan.mp3", io.BytesIO(b"\xff\xf3"))
    day_ago = (now - datetime.timedelta(days=1, minutes=1)).timestamp()
    os.utime(default_storage.path(orphan), (day_ago, day_ago))
    just_written = default_storage.save("speech/just-written.mp3", io.BytesIO(b"\xff\xf3"))

    out = io.StringIO()
    call_command("speech_prune", "--days", "30", stdout=out)

    assert out.getvalue().strip() == "Deleted 2 audio rows and 2 files."
    assert list(SpeechAudio.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not SpeechAudio.objects.filter(pk=stale_pending.pk).exists()
    assert sorted(os.listdir(default_storage.path("speech"))) == sorted(
        [Path(recent.file.name).name, Path(just_written).name]
    )
    # Pages ask again for what was pruned.
    assert services.speech_request(text="Gammel tekst om brøyting.", language="nb") is not None


def test_speech_prune_refuses_less_than_a_day(db: None) -> None:
    SpeechAudio.objects.create(
        key="e" * 64, language="nb", created_at=timezone.now(), used_at=timezone.now()
    )
    with pytest.raises(CommandError, match=r"--days must be at least 1\."):
        call_command("speech_prune", "--days", "0")
    assert SpeechAudio.objects.count() == 1


@pytest.mark.django_db
def test_two_players_of_one_text_on_a_page_have_their_own_ids() -> None:
    audio = ready()
    template = Template("{% load speech %}{% read_aloud text 'nb' %}{% read_aloud text 'nb' %}")
    with translation.override("en"):
        html = template.render(Context({"text": TEXT}))
    first, second = f"read-aloud-{audio.key[:12]}", f"read-aloud-{audio.key[:12]}-2"
    assert html.count(f'id="{first}"') == 1 and html.count(f'id="{second}"') == 1
    assert html.count(f'aria-labelledby="{second}"') == 2  # the region and its audio


# --- through the anonymous page cache -------------------------------------------------------


def asgi_get(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    """One anonymous GET through `app`, as uvicorn makes it: (status, body)."""
    sent: list[dict[str, Any]] = []
    asked: list[bool] = []

    async def receive() -> dict[str, Any]:
        if not asked:
            asked.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.get_running_loop().create_future()  # connected until answered
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    asyncio.run(app(scope, receive, send))
    start, *bodies = sent
    return start["status"], b"".join(m.get("body", b"") for m in bodies)


def test_range_requests_still_get_206_behind_the_anonymous_page_cache(
    transactional_db: None, municipality: Any
) -> None:
    """The page cache keys on path and language, not Range: were the file cacheable there, a
    seeking player would get the stored 200 of the whole file (and Safari would not play)."""
    audio = ready()
    data = stored(audio)
    app = AnonymousPageCache(get_asgi_application())
    path = f"/lyd/{audio.key}.mp3"
    assert asgi_get(app, path, []) == (200, data)
    assert asgi_get(app, path, [(b"range", b"bytes=0-1")]) == (206, data[:2])
