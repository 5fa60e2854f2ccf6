"""Publishers are namespaces: an organisation, or a user's personal namespace."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

# The Hub client's own rule for each half of a repo id (hf-hub-protocol.md §1).
NAME_PATTERN = r"^(?!.*(--|\.\.))[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$"
name_validator = RegexValidator(
    NAME_PATTERN,
    "Use 1-96 letters, digits, '.', '_' or '-', starting and ending with a letter or digit, "
    "without '--' or '..'.",
)


class Publisher(models.Model):
    class Kind(models.TextChoices):
        ORGANISATION = "org", "Organisation"
        USER = "user", "User"

    slug = models.CharField(max_length=96, unique=True, validators=[name_validator])
    display_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.ORGANISATION)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="personal_namespace",
        help_text="Set for a user's personal namespace.",
    )
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="org", user__isnull=True) | models.Q(kind="user", user__isnull=False),
                name="publisher_user_iff_personal",
            )
        ]

    def __str__(self) -> str:
        return self.slug


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MAINTAINER = "maintainer", "Maintainer"
        READER = "reader", "Reader"

    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.READER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["publisher", "user"], name="one_membership_per_user")]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.publisher}"
