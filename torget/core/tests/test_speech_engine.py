"""The read-aloud engine for real: espeak-ng through ctypes, MP3 through LAME."""

from __future__ import annotations

import threading

import pytest

from torget.core.speech import engine

NORWEGIAN = "Blåbærsyltetøy på Ærøy: søk barnehageplass før første mars."


def mp3_frames(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of each MPEG audio frame, walked from the start by their headers."""
    bitrates = {1: 8, 2: 16, 3: 24, 4: 32, 5: 40, 6: 48, 7: 56, 8: 64, 9: 80, 10: 96}
    rates = {0: 22050, 1: 24000, 2: 16000}
    frames = []
    offset = 0
    while offset + 4 <= len(data):
        header = data[offset : offset + 4]
        assert header[0] == 0xFF and header[1] & 0xE0 == 0xE0, f"no frame sync at {offset}"
        assert header[1] & 0x18 == 0x10, "MPEG-2"  # version bits
        assert header[1] & 0x06 == 0x02, "layer III"
        bitrate = bitrates[header[2] >> 4] * 1000
        rate = rates[(header[2] >> 2) & 0x03]
        padding = (header[2] >> 1) & 0x01
        length = 72 * bitrate // rate + padding
        frames.append((offset, length))
        offset += length
    assert offset == len(data), "the last frame is cut short"
    return frames


def test_engine_reads_norwegian_with_aeoeaa_as_mp3_of_plausible_length() -> None:
    speech = engine.synthesise(engine.prepare_text(NORWEGIAN).text, "nb")
    frames = mp3_frames(speech.mp3)
    # Nine words at 160 words a minute, with a pause at the end: a few seconds.
    assert 2.0 < speech.duration_seconds < 8.0
    # 1,152 samples per MPEG-1 frame, 576 per MPEG-2 frame: the frames cover the audio.
    covered = len(frames) * 576 / 22050
    assert speech.duration_seconds <= covered < speech.duration_seconds + 0.5
    # 48 kbit/s: the file's size follows from its length.
    assert abs(len(speech.mp3) - speech.duration_seconds * 6000) < 3000


def same_length(one: engine.Speech, other: engine.Speech) -> bool:
    """espeak-ng adds a little randomness (noise in some sounds, a few samples more or less):
    the same text in the same voice is never byte-identical, but as long within 1 %."""
    return abs(one.duration_seconds - other.duration_seconds) < one.duration_seconds / 100


def test_engine_gives_different_audio_per_language() -> None:
    text = "Velkommen til biblioteket. Welcome to the library."
    bokmal = engine.synthesise(text, "nb")
    english = engine.synthesise(text, "en")
    assert bokmal.mp3 != english.mp3
    assert not same_length(bokmal, english)
    assert same_length(engine.synthesise(text, "nb"), bokmal)


def test_engine_reads_nynorsk_with_the_bokmal_voice() -> None:
    text = "Ho kjem heim i kveld."
    assert engine.voice_for("nn") == "nb"
    assert engine.voice_differs("nn") and not engine.voice_differs("nb")
    assert same_length(engine.synthesise(text, "nn"), engine.synthesise(text, "nb"))


def test_engine_refuses_a_language_without_a_voice_and_empty_text() -> None:
    assert engine.voice_for("se") is None
    with pytest.raises(engine.SpeechError, match="no voice"):
        engine.synthesise("Buorre beaivi", "se")
    with pytest.raises(engine.SpeechError, match="nothing to read"):
        engine.synthesise("", "nb")


def test_engine_takes_turns_between_threads() -> None:
    """The library's state is global: two threads at once must each get their own text."""
    texts = {"nb": "Søknadsfristen er første mars.", "en": "The deadline is the first of March."}
    alone = {language: engine.synthesise(text, language) for language, text in texts.items()}
    together: dict[str, list[engine.Speech]] = {language: [] for language in texts}
    start = threading.Barrier(len(texts))

    def read(language: str) -> None:
        start.wait()
        for _ in range(3):
            together[language].append(engine.synthesise(texts[language], language))

    threads = [threading.Thread(target=read, args=(language,)) for language in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for language, readings in together.items():
        assert len(readings) == 3
        for reading in readings:
            mp3_frames(reading.mp3)
            assert same_length(reading, alone[language]), language


def test_engine_pauses_between_paragraphs() -> None:
    one = engine.synthesise("Åpningstider. Mandag til fredag.", "nb")
    two = engine.synthesise("Åpningstider.\n\nMandag til fredag.", "nb")
    assert two.duration_seconds > one.duration_seconds + engine.PARAGRAPH_PAUSE_SECONDS / 2


def test_prepare_text_normalises_and_drops_markup_and_addresses() -> None:
    prepared = engine.prepare_text(
        "# Søk  plass\r\n\r\n\n<p>Les **mer** på [vår side](https://testvik.no/a) eller "
        "https://testvik.no/b\tnå &amp; i dag.</p>\n\n\n"
    )
    assert prepared == engine.PreparedText(
        text="Søk plass\n\nLes mer på vår side eller nå & i dag.", truncated=False
    )
    # Composed and decomposed å are the same text (and so the same cache key).
    assert engine.prepare_text("a\u030a").text == engine.prepare_text("\u00e5").text == "å"


def test_prepare_text_caps_the_length_at_a_word() -> None:
    word = "barnehage "
    prepared = engine.prepare_text(word * 3000)  # 30,000 characters
    assert prepared.truncated
    assert len(prepared.text) <= engine.MAX_CHARACTERS
    assert prepared.text.endswith("barnehage")
    assert not engine.prepare_text(word * 100).truncated


def test_split_chunks_keeps_sentences_whole_and_chunks_short() -> None:
    sentence = "Dette er en setning om kommunens tjenester. "
    text = engine.prepare_text("Tittel\n\n" + sentence * 100).text
    paragraphs = engine.split_chunks(text)
    assert paragraphs[0] == ["Tittel"]
    chunks = paragraphs[1]
    assert len(chunks) > 1
    assert all(len(chunk) <= engine.CHUNK_CHARACTERS for chunk in chunks)
    assert all(chunk.endswith("tjenester.") for chunk in chunks)
    assert " ".join(chunks) == text.split("\n\n")[1]
    # One endless "sentence" is cut at spaces.
    endless = engine.split_chunks("ord " * 1000)
    assert all(len(chunk) <= engine.CHUNK_CHARACTERS for chunk in endless[0])
