from __future__ import annotations

from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "torget.participation"
    label = "participation"

    def ready(self) -> None:
        """Each part registers what it adds to other modules' registries (search kinds, where a
        thread is shown, Min side sections) from its own module in `hooks/`."""
        from torget.participation import mydata
        from torget.participation.hooks import forums, hearings, processes, proposals, shortviews

        for part in (processes, hearings, proposals, forums, shortviews):
            part.register()
        mydata.register()
