"""Alerts: the public alert pages and feeds, subscriptions, staff composing and provider hooks."""

from django.urls import path

from torget.alerts.feeds import AlertFeed, CapIndexFeed
from torget.alerts.views import (
    email_hooks,
    outbox,
    public,
    sms,
    sms_hooks,
    staff,
    subscriptions,
    zones,
)
from torget.alerts.views import imports as alert_imports

app_name = "alerts"

# Public: alert pages, feeds and CAP.
urlpatterns = [
    path("varsler/", public.alert_list, name="alert-list"),
    path("varsler/<int:pk>/", public.alert_detail, name="alert-detail"),
    path("varsler/<int:pk>/cap.xml", public.alert_cap, name="alert-cap"),
    path("varsler/feed.atom", AlertFeed(), name="alert-feed"),
    path("varsler/cap.atom", CapIndexFeed(), name="alert-cap-index"),
]

# Subscriptions: signing up, confirming by e-mail link or SMS code, changing, ending.
urlpatterns += [
    path("varsler/abonner/", subscriptions.subscribe, name="subscribe"),
    path(
        "varsler/abonner/sjekk-e-post/",
        subscriptions.subscription_check_email,
        name="subscription-check-email",
    ),
    path(
        "varsler/abonner/kode/<str:token>/",
        subscriptions.subscription_code,
        name="subscription-code",
    ),
    path("varsler/adresser.json", subscriptions.address_suggest, name="address-suggest"),
    path(
        "varsler/abonnement/<str:token>/",
        subscriptions.subscription_manage,
        name="subscription-manage",
    ),
    path(
        "varsler/abonnement/<str:token>/bekreft/",
        subscriptions.subscription_confirm,
        name="subscription-confirm",
    ),
    path(
        "varsler/abonnement/<str:token>/avslutt/",
        subscriptions.subscription_unsubscribe,
        name="subscription-unsubscribe",
    ),
]

# Machines: incoming e-mail and SMS, delivery receipts (authenticated by shared secrets).
urlpatterns += [
    path("varsler/epost/innkommende/", email_hooks.email_inbound, name="email-inbound"),
    path("varsler/sms/kvittering/", sms_hooks.sms_receipt, name="sms-receipt"),
    path("varsler/sms/innkommende/", sms_hooks.sms_inbound, name="sms-inbound"),
]

# Staff: composing, the preview, approval, follow-ups, progress, zones, imports, the outbox.
urlpatterns += [
    path("ansatt/varsler/", staff.alert_list, name="staff-alert-list"),
    path("ansatt/varsler/ny/", staff.alert_create, name="staff-alert-create"),
    path("ansatt/varsler/sms-lengde/", sms.sms_length_view, name="staff-sms-length"),
    path("ansatt/varsler/soner/", zones.zone_list, name="staff-zone-list"),
    path("ansatt/varsler/soner/<int:pk>/slett/", zones.zone_delete, name="staff-zone-delete"),
    path("ansatt/varsler/import/", alert_imports.alert_import, name="staff-import"),
    path("ansatt/varsler/utboks/", outbox.outbox_list, name="staff-outbox"),
    path("ansatt/varsler/<int:pk>/", staff.alert_detail, name="staff-alert-detail"),
    path("ansatt/varsler/<int:pk>/endre/", staff.alert_edit, name="staff-alert-edit"),
    path("ansatt/varsler/<int:pk>/send/", staff.alert_submit, name="staff-alert-submit"),
    path("ansatt/varsler/<int:pk>/godkjenn/", staff.alert_approve, name="staff-alert-approve"),
    path("ansatt/varsler/<int:pk>/send-tilbake/", staff.alert_reject, name="staff-alert-reject"),
    path("ansatt/varsler/<int:pk>/slett/", staff.alert_delete, name="staff-alert-delete"),
    path("ansatt/varsler/<int:pk>/status.json", staff.alert_progress, name="staff-alert-progress"),
    path(
        "ansatt/varsler/<int:pk>/oppdatering/",
        staff.alert_follow_up,
        {"kind": "Update"},
        name="staff-alert-update",
    ),
    path(
        "ansatt/varsler/<int:pk>/klarsignal/",
        staff.alert_follow_up,
        {"kind": "Cancel"},
        name="staff-alert-cancel",
    ),
]
