"""Background work of a hearing's PDF export. Tasks take ids, re-read, and are safe to run
twice (see services.exports)."""

from __future__ import annotations

from django_tasks import task


# Below the default priority of notices and alerts (a PDF for the case file can wait a little),
# above read-aloud audio (-10): a member of staff waits for it.
@task(priority=-5)
def build_hearing_export(export_id: int) -> None:
    """Build the PDF of the HearingExport `export_id` (see export_build), and e-mail whoever
    asked for it if that took long (see export_notify)."""
    from torget.participation.services.exports import export_build, export_notify

    export_build(export_id=export_id)
    export_notify(export_id=export_id)
