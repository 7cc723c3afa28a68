from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "torget.alerts"
    label = "alerts"

    def ready(self) -> None:
        """Tell conversations where a thread about an alert (an SMS or e-mail answer) is shown."""
        from torget.alerts.models import Alert
        from torget.alerts.selectors import thread_path_on_alert
        from torget.conversations.registry import register_subject

        register_subject(Alert, thread_path_on_alert)
