"""Read-aloud audio, included at /lyd/ ("lyd" is Norwegian for sound)."""

from django.urls import re_path

from torget.core.speech import views

app_name = "speech"

urlpatterns = [
    re_path(r"^(?P<key>[0-9a-f]{64})\.mp3$", views.audio_file, name="audio"),
    re_path(r"^(?P<key>[0-9a-f]{64})/status\.json$", views.audio_status, name="status"),
]
