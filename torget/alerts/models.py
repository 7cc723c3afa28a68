"""Alerts by SMS and e-mail: the address register, predefined zones, residents' subscriptions,
the alerts themselves, and one durable delivery row per recipient and channel.

Coordinates are kept twice: WGS 84 (`lat`, `lon`) for maps and CAP, and EPSG:25833
(UTM zone 33N, `x` east and `y` north in metres) for targeting, so that distances and radii are
plain metres. An alert's area is a GeoJSON geometry (Polygon or MultiPolygon) in WGS 84.

A delivery moves queued → claimed → sent → delivered, or ends failed with a reason. A worker
claims rows by compare-and-set (`claimed_by`, `claimed_until`); see `delivery.py`.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from torget.organisation.models import Municipality, Unit


class Topic(models.IntegerChoices):
    """Subscriptions keep their topics as a bit mask of these values."""

    WATER = 1, _("Water and sewage")
    ROADS = 2, _("Roads and traffic")
    POWER = 4, _("Power")
    OTHER = 8, _("Other")


ALL_TOPICS = sum(Topic.values)


class Severity(models.TextChoices):
    """CAP 1.2 severities."""

    EXTREME = "Extreme", _("Extreme: extraordinary threat to life or property")
    SEVERE = "Severe", _("Severe: significant threat to life or property")
    MODERATE = "Moderate", _("Moderate: possible threat to life or property")
    MINOR = "Minor", _("Minor: minimal or no threat")


class Medium(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class Address(models.Model):
    """One address of the municipality's address register (imported from CSV)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=64, blank=True)
    street = models.CharField(_("street"), max_length=120)
    number = models.CharField(_("house number"), max_length=12, blank=True)
    postcode = models.CharField(_("postcode"), max_length=8, blank=True)
    place = models.CharField(_("place"), max_length=120, blank=True)
    # Lower-case "street number" for look-ups by what a resident types.
    search_key = models.CharField(max_length=140)
    x = models.FloatField()
    y = models.FloatField()
    lat = models.FloatField()
    lon = models.FloatField()

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        indexes = [
            models.Index(fields=["municipality", "search_key"], name="address_search"),
            models.Index(fields=["municipality", "street"], name="address_street"),
            # Naming the streets inside a drawn area reads the area's bounding box.
            models.Index(fields=["municipality", "x", "y"], name="address_place"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "external_id"],
                condition=~models.Q(external_id=""),
                name="address_external_unique",
            )
        ]

    def __str__(self) -> str:
        text = f"{self.street} {self.number}".strip()
        return f"{text}, {self.postcode} {self.place}".strip(", ")


class Zone(models.Model):
    """A predefined area (a water supply zone, a part of town) staff can pick for an alert."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    # GeoJSON geometry (Polygon or MultiPolygon) in WGS 84.
    area = models.JSONField()

    class Meta:
        ordering = ["name"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")

    def __str__(self) -> str:
        return self.name


def _token() -> str:
    return secrets.token_urlsafe(24)


class Subscription(models.Model):
    """One way of reaching one person about one place: a phone number or an e-mail address,
    an address or a point with a radius, and a set of topics."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        ACTIVE = "active", _("Active")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    class Source(models.TextChoices):
        WEB = "web", _("Signed up on the web")
        IMPORT = "import", _("Imported contact list")

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alert_subscriptions",
    )
    medium = models.CharField(_("by"), max_length=5, choices=Medium.choices)
    # A phone number in E.164 (+4791234567) or a lower-case e-mail address.
    destination = models.CharField(_("phone number or e-mail address"), max_length=254)
    address = models.ForeignKey(
        Address, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    place_label = models.CharField(_("place"), max_length=200, blank=True)
    x = models.FloatField()
    y = models.FloatField()
    lat = models.FloatField()
    lon = models.FloatField()
    radius_m = models.PositiveIntegerField(_("radius in metres"), default=0)
    topics = models.PositiveSmallIntegerField(_("topics"), default=ALL_TOPICS)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    # The secret in the links to change or end the subscription, and in the e-mail confirmation.
    token = models.CharField(max_length=64, unique=True, default=_token)
    # An SMS confirmation code, stored hashed; attempts are counted and limited.
    code_hash = models.CharField(max_length=128, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    language = models.CharField(max_length=5, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alert subscription")
        verbose_name_plural = _("alert subscriptions")
        indexes = [
            # Targeting reads active subscriptions inside a bounding box.
            models.Index(fields=["municipality", "status", "x", "y"], name="subscription_place"),
            models.Index(fields=["municipality", "destination"], name="subscription_destination"),
        ]

    def __str__(self) -> str:
        return f"{self.medium}:{self.destination}"

    def topic_list(self) -> list[Topic]:
        return [topic for topic in Topic if self.topics & topic.value]


class Alert(models.Model):
    """An alert, an update to it, or its all-clear. Updates and the all-clear point to the
    first alert (`original`) and go to the same recipients as it did."""

    class Kind(models.TextChoices):
        ALERT = "Alert", _("Alert")
        UPDATE = "Update", _("Update")
        CANCEL = "Cancel", _("All clear")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
        SENT = "sent", _("Sent")

    class AreaSource(models.TextChoices):
        DRAWN = "drawn", _("Drawn on the map")
        ZONE = "zone", _("Predefined zone")
        ADDRESSES = "addresses", _("Streets or addresses")

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="alerts")
    identifier = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ALERT)
    original = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="follow_ups"
    )
    topic = models.PositiveSmallIntegerField(_("topic"), choices=Topic.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"))
    area = models.JSONField(_("area"), null=True, blank=True)
    area_source = models.CharField(max_length=10, choices=AreaSource.choices, blank=True)
    zone = models.ForeignKey(Zone, on_delete=models.SET_NULL, null=True, blank=True)
    # The streets or addresses as staff typed them, one per line.
    area_addresses = models.TextField(_("streets or addresses"), blank=True)
    by_sms = models.BooleanField(_("by SMS"), default=True)
    by_email = models.BooleanField(_("by e-mail"), default=True)
    contact_phone = models.CharField(_("phone for more information"), max_length=20, blank=True)
    contact_email = models.EmailField(_("e-mail for more information"), blank=True)
    contact_url = models.URLField(_("web page for more information"), blank=True)
    onset = models.DateTimeField(_("valid from"))
    expires = models.DateTimeField(_("valid until"), null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Set on the original when its all-clear is sent: the alert is over.
    ended_at = models.DateTimeField(null=True, blank=True)
    recipient_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [
            models.Index(fields=["municipality", "status", "ended_at"], name="alert_active"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("alerts:alert-detail", args=[(self.original_id or self.pk)])

    @property
    def root(self) -> Alert:
        """The first alert of the chain (itself, unless this is an update or all-clear)."""
        if self.original_id is None or self.original is None:
            return self
        return self.original


class Delivery(models.Model):
    """One message of one alert to one recipient by one medium. Written when the alert is
    sent, before any worker sees it: the row is the durable promise to deliver."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        CLAIMED = "claimed", _("Being sent")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    medium = models.CharField(max_length=5, choices=Medium.choices)
    destination = models.CharField(max_length=254)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(max_length=5, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=30, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            models.Index(fields=["status", "medium", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["alert", "status"], name="delivery_alert_status"),
            models.Index(fields=["claimed_by", "status"], name="delivery_claimed"),
            models.Index(
                fields=["provider", "provider_id"],
                condition=~models.Q(provider_id=""),
                name="delivery_provider_id",
            ),
            models.Index(fields=["destination", "medium"], name="delivery_destination"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "medium", "destination"], name="delivery_once_per_recipient"
            )
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.medium}:{self.destination} {self.status}"


class OutboxMessage(models.Model):
    """What the development outbox provider "sent": shown to staff instead of leaving the
    machine (the default under `make run`)."""

    medium = models.CharField(max_length=5, choices=Medium.choices)
    destination = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    delivery = models.ForeignKey(
        Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.medium}:{self.destination}"


class Inbound(models.Model):
    """An SMS or e-mail that came in (an answer to an alert, or STOP). Stored first, handled
    second, and handled once: the provider's id is unique."""

    class Result(models.TextChoices):
        PENDING = "pending", _("Not handled yet")
        THREAD = "thread", _("Answer in the inbox")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        RECEIPT = "receipt", _("Delivery receipt")
        IGNORED = "ignored", _("Ignored")

    medium = models.CharField(max_length=5, choices=Medium.choices)
    provider = models.CharField(max_length=30)
    external_id = models.CharField(max_length=200)
    sender = models.CharField(max_length=254)
    body = models.TextField(blank=True)
    # For e-mail: the alert token from the address or the In-Reply-To header, when present.
    reference = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField()
    result = models.CharField(max_length=15, choices=Result.choices, default=Result.PENDING)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "external_id"], name="inbound_once")
        ]

    def __str__(self) -> str:
        return f"{self.medium} from {self.sender}"


class AlertSettings(models.Model):
    """The municipality's rules for alerts."""

    municipality = models.OneToOneField(
        Municipality, on_delete=models.CASCADE, related_name="alert_settings"
    )
    require_approval = models.BooleanField(
        _("a second person approves each alert before it is sent"), default=False
    )
    sms_sender = models.CharField(_("SMS sender name"), max_length=11, blank=True)

    def __str__(self) -> str:
        return str(self.municipality)


class Receipt(models.Model):
    """A delivery receipt from an SMS provider (SMPP `deliver_sm`, an HTTP callback), stored as
    it came before it is applied: it may arrive before the worker has written the provider's id
    to the delivery row. `torget.alerts.receipts` applies each one once."""

    class Status(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    provider = models.CharField(max_length=30)
    provider_id = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_id", "status"], name="receipt_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=models.Q(applied_at__isnull=True),
                name="receipt_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_id} {self.status}"
