"""Read-aloud player: `{% load speech %}{% read_aloud text %}`.

`language` defaults to the active language; pass the text's own when it may differ from the
visitor's (a post is written in the municipality's målform: `language=municipality.malform`).
For several parts (a title and a body) join them as paragraphs with the `paragraph` filter:
`{% read_aloud post.title|paragraph:post.body %}`.

The first view of a text asks for its audio (a pending row and a task); meanwhile the player
says it is being prepared (static/js/speech.js swaps the player in when it is ready). Failed
audio shows nothing. See torget.core.speech.
"""

from __future__ import annotations

import logging

from django import template
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from torget.core.models import SpeechAudio
from torget.core.speech import selectors, services

register = template.Library()
logger = logging.getLogger(__name__)


@register.simple_tag(takes_context=True)
def read_aloud(context: template.Context, text: str, language: str = "") -> SafeString:
    """The read-aloud player for `text` read in `language` (or nothing: no text, no voice for
    the language, or the audio failed)."""
    asked = services.speech_request(
        text=str(text or ""), language=language or translation.get_language() or "nb"
    )
    if asked is None:
        return mark_safe("")
    if asked.audio.status == SpeechAudio.Status.FAILED:
        logger.info("speech %s failed, no player: %s", asked.audio.key, asked.audio.error)
        return mark_safe("")
    values = selectors.speech_player_context(audio=asked.audio, truncated=asked.truncated)
    # Ids unique on the page even when one text is offered twice.
    shown = int(context.render_context.get("speech_players") or 0) + 1
    context.render_context["speech_players"] = shown
    if shown > 1:
        values["speech_id"] = f"{values['speech_id']}-{shown}"
    player = context.template.engine.get_template("core/speech_player.html")  # type: ignore[union-attr]
    return player.render(context.new(values))


@register.filter
def paragraph(first: object, second: object) -> str:
    """`first` and `second` as two paragraphs of one text (read with a pause between)."""
    return "\n\n".join(str(part) for part in (first, second) if part)
