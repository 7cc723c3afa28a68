"""Read-aloud (talende nettsider): server-made audio of a page's main content.

- `engine`: espeak-ng through ctypes and LAME; text preparation; no Nynorsk voice (Bokmål reads
  Nynorsk).
- `services`: the cache (SpeechAudio rows keyed by a hash of engine, language and text), the
  task's work, pruning.
- `selectors`: reads, and what the player shows.
- `views`: /lyd/<key>.mp3 (with Range) and /lyd/<key>/status.json.

Pages use it through `{% load speech %}{% read_aloud text %}` (torget/core/templatetags/speech.py).
"""
