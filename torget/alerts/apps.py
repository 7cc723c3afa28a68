from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "torget.alerts"
    label = "alerts"

    def ready(self) -> None:
        """Tell conversations where a thread about an alert is shown and how an SMS is answered."""
        from torget.alerts.models import Alert, Medium
        from torget.alerts.mydata import register as register_my_page
        from torget.alerts.outbound import sms_answer_send
        from torget.alerts.selectors import thread_path_on_alert
        from torget.conversations.registry import register_answer_sender, register_subject

        register_subject(Alert, thread_path_on_alert)
        register_my_page()
        # An SMS answer is answered by SMS; an e-mail answer by e-mail (the default).
        register_answer_sender(Medium.SMS, sms_answer_send)
