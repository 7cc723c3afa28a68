"""Background work of core: read-aloud audio. Tasks take what they need, re-read, and are safe
to run twice."""

from __future__ import annotations

from django_tasks import task


# Below the default priority: a page's audio can wait while alerts and notices go out.
@task(priority=-10)
def generate_speech(key: str, language: str, text: str) -> None:
    """Make the read-aloud audio of the SpeechAudio row `key` (see speech_generate).

    The text travels with the task because the row keeps only its hash.
    """
    from torget.core.speech.services import speech_generate

    speech_generate(key=key, language=language, text=text)
