"""Municipalities (the tenants), their units, opening hours and staff membership."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from torget.organisation.workinghours import WeeklyHours


class Malform(models.TextChoices):
    """The written standard a municipality has chosen (målform)."""

    BOKMAL = "nb", _("Bokmål")
    NYNORSK = "nn", _("Nynorsk")


class Municipality(models.Model):
    """A kommune. One deployment may host several; each is reached by its own host names."""

    number = models.CharField(_("municipality number"), max_length=4, unique=True)
    name = models.CharField(_("name"), max_length=100)
    malform = models.CharField(
        _("official language form"), max_length=2, choices=Malform.choices, default=Malform.BOKMAL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.name


class Hostname(models.Model):
    """A host name under which one municipality is served (e.g. `torget.eksempel.kommune.no`)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="hostnames"
    )
    name = models.CharField(_("host name"), max_length=253, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UnitKind(models.TextChoices):
    MUNICIPALITY = "municipality", _("The municipality")
    LIBRARY = "library", _("Library")
    SCHOOL = "school", _("School")
    CULTURE = "culture", _("Culture")
    BUSINESS = "business", _("Business development")
    PLANNING = "planning", _("Planning project")
    SERVICE_CENTRE = "service_centre", _("Service centre")
    OTHER = "other", _("Other unit")


class Unit(models.Model):
    """A part of a municipality that speaks for itself: the municipality as a whole at the root,
    then etater (library, schools, culture, ...) and planning projects below it.

    `path` holds the ids from the root down ("/1/4/9/") so that a unit's subtree is one prefix
    query; it is set by `organisation.services.unit_create` and never edited by hand.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="units")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("address name"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("web page"), blank=True)
    visiting_address = models.CharField(_("visiting address"), max_length=200, blank=True)
    # The service-level goal: `answer_goal_percent` % of questions answered within
    # `answer_goal_minutes` of working time (the unit's opening hours, holidays closed).
    answer_goal_minutes = models.PositiveIntegerField(
        _("answer within (working minutes)"), default=450
    )
    answer_goal_percent = models.PositiveSmallIntegerField(
        _("goal (percent of questions)"), default=90
    )

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="unit_slug_unique"),
            models.UniqueConstraint(
                fields=["municipality"],
                condition=models.Q(parent__isnull=True),
                name="one_root_unit_per_municipality",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def weekly_hours(self) -> WeeklyHours:
        """The unit's opening hours for working-time arithmetic (one query, or none if
        `opening_hours` was prefetched)."""
        return WeeklyHours.from_intervals(
            (h.weekday, h.opens, h.closes) for h in self.opening_hours.all()
        )


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class OpeningHours(models.Model):
    """One opening interval on one weekday (0 = Monday). A unit may have several a day."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="opening_closes_after_opens"
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="opening_weekday_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.opens:%H:%M}-{self.closes:%H:%M}"

    @property
    def duration(self) -> datetime.timedelta:
        return datetime.datetime.combine(
            datetime.date.min, self.closes
        ) - datetime.datetime.combine(datetime.date.min, self.opens)


class Role(models.TextChoices):
    """What a person may do for a unit. Staff roles cover the unit and every unit below it."""

    COMMUNICATOR = "communicator", _("Communicator")
    CASE_OFFICER = "case_officer", _("Case officer")
    MODERATOR = "moderator", _("Moderator")
    UNIT_ADMIN = "unit_admin", _("Unit administrator")
    POLITICIAN = "politician", _("Politician")


STAFF_ROLES = frozenset({Role.COMMUNICATOR, Role.CASE_OFFICER, Role.MODERATOR, Role.UNIT_ADMIN})


class Membership(models.Model):
    """A person's role in a unit."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    title = models.CharField(_("title"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit__path", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.unit}"
