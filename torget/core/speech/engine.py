"""The read-aloud engine: espeak-ng through ctypes, MP3 through LAME (lameenc).

espeak-ng comes inside the `espeakng-loader` wheel (the shared library and its voice data), so
no system package is needed. It speaks Norwegian Bokmål ("nb") and English ("en"). It has **no
Nynorsk voice**: Nynorsk text is read with the Bokmål voice, which pronounces most of it well
and some words the Bokmål way; the player says so (see `voice_differs`).

The library is one global state per process (voice, rate, the synthesis callback): every call
goes through `_LOCK`, the library is initialised once per process, and the ctypes callback
object is kept in a module global so that it outlives every call into C. Synthesis is
synchronous (AUDIO_OUTPUT_SYNCHRONOUS): `espeak_Synth` returns when the callback has had every
sample of the text.

Text is prepared by `prepare_text` (markup and links dropped, whitespace normalised, paragraphs
kept, at most `MAX_CHARACTERS` = 20,000 characters, cut at a word) and spoken one chunk at a
time: each paragraph, and inside a long paragraph runs of whole sentences up to
`CHUNK_CHARACTERS`, with a short silence between paragraphs. The engine would take the whole
text in one call; chunks give the pause between paragraphs and let another thread's synthesis
have the library between two chunks instead of waiting behind a 20-minute text.
"""

from __future__ import annotations

import ctypes
import html
import importlib.metadata
import os
import re
import threading
import unicodedata
from dataclasses import dataclass

import lameenc

# What a language is read with (espeak-ng voice names). Nynorsk: the Bokmål voice (see above).
VOICES = {"nb": "nb", "nn": "nb", "en": "en"}
# The language each voice speaks, to tell the listener when it is not the text's.
VOICE_LANGUAGES = {"nb": "nb", "en": "en"}

MAX_CHARACTERS = 20_000
CHUNK_CHARACTERS = 2_000
# Words per minute: espeak-ng's default is 175; a little slower is easier to follow.
RATE_WPM = 160
MP3_KBPS = 48
PARAGRAPH_PAUSE_SECONDS = 0.4
# Bumped when anything here changes what the audio of a text sounds like: part of every key.
_RECIPE = 1

# espeak-ng's speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_PARAMETER_RATE = 1
_EE_OK = 0

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class SpeechError(Exception):
    """The engine could not be loaded or refused a text."""


def engine_id() -> str:
    """Names everything that decides how a text sounds: library and encoder versions and our
    settings. Read from package metadata, so a web process computes keys without loading the
    library."""
    return (
        f"espeak-ng/{importlib.metadata.version('espeakng-loader')}"
        f" lameenc/{importlib.metadata.version('lameenc')}"
        f" rate={RATE_WPM} mp3={MP3_KBPS}k recipe={_RECIPE}"
    )


def voice_for(language: str) -> str | None:
    """The voice that reads `language` ("nb", "nn", "en", or a longer tag such as "en-gb"), or
    None when there is none."""
    return VOICES.get(language.lower().split("-")[0])


def voice_differs(language: str) -> bool:
    """Whether the voice speaks another language than the text's (Nynorsk read in Bokmål)."""
    voice = voice_for(language)
    return voice is not None and VOICE_LANGUAGES[voice] != language.lower().split("-")[0]


_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_MARKDOWN_MARKS = re.compile(r"(?m)^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+)|[*_`~]{1,3}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?…:;])\s+")


@dataclass(frozen=True)
class PreparedText:
    """Text as it is read: normalised, and cut to MAX_CHARACTERS (`truncated` says so)."""

    text: str
    truncated: bool


def prepare_text(text: str) -> PreparedText:
    """What is read of `text`: HTML tags, Markdown marks and web addresses dropped (nobody wants
    a URL read out letter by letter), Markdown links reduced to their words, whitespace inside
    a paragraph collapsed to single spaces, paragraphs (blank lines) kept, and the whole cut to
    MAX_CHARACTERS at a word. Deterministic: the cache key is computed from its result."""
    text = unicodedata.normalize("NFC", str(text))
    text = html.unescape(_TAG.sub(" ", text))
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _MARKDOWN_MARKS.sub("", text)
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = (" ".join(p.split()) for p in _PARAGRAPH_BREAK.split(text))
    text = "\n\n".join(p for p in paragraphs if p)
    if len(text) <= MAX_CHARACTERS:
        return PreparedText(text=text, truncated=False)
    cut = text[:MAX_CHARACTERS]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > MAX_CHARACTERS // 2:
        cut = cut[:space]
    return PreparedText(text=cut.rstrip(), truncated=True)


def split_chunks(text: str) -> list[list[str]]:
    """`text` (from prepare_text) as paragraphs, each a list of chunks of whole sentences of at
    most CHUNK_CHARACTERS (a sentence longer than that is cut at spaces)."""
    paragraphs: list[list[str]] = []
    for paragraph in text.split("\n\n"):
        chunks: list[str] = []
        current = ""
        for sentence in _SENTENCE_END.split(paragraph):
            for piece in _cut_long(sentence):
                if current and len(current) + 1 + len(piece) > CHUNK_CHARACTERS:
                    chunks.append(current)
                    current = piece
                else:
                    current = f"{current} {piece}" if current else piece
        if current:
            chunks.append(current)
        if chunks:
            paragraphs.append(chunks)
    return paragraphs


def _cut_long(sentence: str) -> list[str]:
    pieces = []
    while len(sentence) > CHUNK_CHARACTERS:
        space = sentence.rfind(" ", 0, CHUNK_CHARACTERS)
        at = space if space > 0 else CHUNK_CHARACTERS
        pieces.append(sentence[:at])
        sentence = sentence[at:].lstrip()
    if sentence:
        pieces.append(sentence)
    return pieces


@dataclass(frozen=True)
class Speech:
    """Audio of a text: MP3 bytes (mono, MP3_KBPS kbit/s) and its length in seconds."""

    mp3: bytes
    duration_seconds: float


class _Library:
    """libespeak-ng, initialised, with the callback collecting samples into `sink`."""

    def __init__(self) -> None:
        import espeakng_loader

        try:
            lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data_path = espeakng_loader.get_data_path()
        except (OSError, RuntimeError) as exc:
            raise SpeechError(f"espeak-ng cannot be loaded: {exc}") from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,  # text
            ctypes.c_size_t,  # size
            ctypes.c_uint,  # position
            ctypes.c_int,  # position type
            ctypes.c_uint,  # end position
            ctypes.c_uint,  # flags
            ctypes.POINTER(ctypes.c_uint),  # unique identifier
            ctypes.c_void_p,  # user data
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        # Buffer 0: the library's default (60 ms per callback). DONT_EXIT: report a missing
        # data folder instead of calling exit() in our process.
        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise SpeechError(f"espeak-ng did not start (data in {data_path})")
        self.lib = lib
        self.sample_rate = rate
        self.sink: list[bytes] | None = None
        # Kept on the instance (which lives as long as the process): C holds a bare pointer
        # to this object, and a collected callback would crash the process mid-synthesis.
        self.callback = _SynthCallback(self._collect)
        lib.espeak_SetSynthCallback(self.callback)

    def _collect(self, wav: ctypes._Pointer[ctypes.c_short], count: int, events: int) -> int:
        # Called from inside espeak_Synth, on the calling thread, with _LOCK held.
        if wav and count > 0 and self.sink is not None:
            self.sink.append(ctypes.string_at(wav, count * 2))
        return 0  # 0: go on

    def synthesise(self, text: str, voice: str) -> bytes:
        """16-bit mono PCM of `text` read by `voice`. Call with _LOCK held."""
        if self.lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
            raise SpeechError(f"espeak-ng has no voice {voice!r}")
        self.lib.espeak_SetParameter(_PARAMETER_RATE, RATE_WPM, 0)
        data = text.encode("utf-8") + b"\0"
        self.sink = []
        try:
            status = self.lib.espeak_Synth(
                data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None
            )
            if status != _EE_OK:
                raise SpeechError(f"espeak-ng refused the text (status {status})")
            return b"".join(self.sink)
        finally:
            self.sink = None


_LOCK = threading.Lock()
_library: _Library | None = None


def _reset_lock_in_child() -> None:
    # A process forked while another thread held the lock would otherwise never get it.
    global _LOCK
    _LOCK = threading.Lock()


os.register_at_fork(after_in_child=_reset_lock_in_child)


def _get_library() -> _Library:
    """The library, initialised on first use in this process. Call with _LOCK held."""
    global _library
    if _library is None:
        _library = _Library()
    return _library


def synthesise(text: str, language: str) -> Speech:
    """Read `text` (prepared with prepare_text) aloud in `language` and encode it as MP3.

    Raises SpeechError when there is no voice for the language, nothing to read, or the engine
    fails. Thread-safe: chunks of concurrent calls take turns on the library.
    """
    voice = voice_for(language)
    if voice is None:
        raise SpeechError(f"no voice for language {language!r}")
    paragraphs = split_chunks(text)
    if not paragraphs:
        raise SpeechError("nothing to read")
    pcm: list[bytes] = []
    sample_rate = 0
    for number, chunks in enumerate(paragraphs):
        for chunk in chunks:
            with _LOCK:
                library = _get_library()
                sample_rate = library.sample_rate
                pcm.append(library.synthesise(chunk, voice))
        if number < len(paragraphs) - 1:
            pcm.append(bytes(2 * int(sample_rate * PARAGRAPH_PAUSE_SECONDS)))
    samples = b"".join(pcm)
    if not samples:
        raise SpeechError("the engine produced no sound")
    return Speech(
        mp3=encode_mp3(samples, sample_rate), duration_seconds=len(samples) / 2 / sample_rate
    )


def encode_mp3(samples: bytes, sample_rate: int) -> bytes:
    """16-bit mono PCM as a constant-bitrate MP3 (MP3_KBPS kbit/s: plenty for one voice)."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(MP3_KBPS)
    encoder.set_in_sample_rate(sample_rate)
    encoder.set_channels(1)
    # 2 best ... 7 fast. LAME is most of the time a text takes, and 7 encodes about twice as
    # fast as 5; for one synthetic voice at 48 kbit/s we accept its small loss of quality.
    encoder.set_quality(7)
    return bytes(encoder.encode(samples)) + bytes(encoder.flush())
