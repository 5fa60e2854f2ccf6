"""Accounts and organisations: sign-up, personal namespaces, members, roles, invitations."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from registry.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from registry.hashing import secret_digest
from registry.models import AuditEvent, EmailVerification, Invitation, Membership, Publisher
from registry.services.repositories import ensure_publisher, is_reserved, new_namespace

Role = Membership.Role
EMAIL_SALT = "registry.email-verification"
EMAIL_TOKEN_AGE = 7 * 24 * 3600


@transaction.atomic
def sign_up(*, username: str, email: str, password: str, verify_url: str = "") -> AbstractBaseUser:
    """A new user with a personal namespace named after them (where they can publish at once)."""
    new_namespace(username)  # the username names the user's namespace
    User = get_user_model()
    if (
        User.objects.filter(username__iexact=username).exists()
        or Publisher.objects.filter(slug__iexact=username).exists()
    ):
        raise Conflict(f"the name {username!r} is taken")
    user = User(username=username, email=email)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages)) from exc
    user.set_password(password)
    user.save()
    personal_namespace(user=user)
    EmailVerification.objects.create(user=user, email=email)
    link = verify_url.replace("TOKEN", email_token(user=user)) if verify_url else email_token(user=user)
    send_mail("Confirm your email for the SLM registry", f"Confirm {email}: {link}", None, [email])
    AuditEvent.record("user.signed_up", actor=user)
    return user


def email_token(*, user: AbstractBaseUser) -> str:
    """A signed, expiring token naming the user and the address being confirmed."""
    return signing.dumps({"user": user.pk, "email": user.email}, salt=EMAIL_SALT)


def verify_email(*, token: str) -> EmailVerification:
    try:
        data = signing.loads(token, salt=EMAIL_SALT, max_age=EMAIL_TOKEN_AGE)
    except signing.BadSignature:
        raise InvalidInput(
            "this confirmation link is invalid or has expired; sign in to get a new one"
        ) from None
    verification = EmailVerification.objects.filter(user_id=data["user"], email=data["email"]).first()
    if verification is None:
        raise NotFound("no such address to confirm")
    if verification.verified_at is None:
        verification.verified_at = timezone.now()
        verification.save(update_fields=["verified_at"])
        AuditEvent.record("user.email_verified", actor=verification.user)
    return verification


def personal_namespace(*, user: AbstractBaseUser) -> Publisher:
    """The user's own namespace (slug = username), created on first use; they own it."""
    publisher = Publisher.objects.filter(kind=Publisher.Kind.USER, user=user).first()
    if publisher is None:
        name = user.get_username()
        if is_reserved(name):
            raise InvalidInput(
                f"the user name {name!r} is reserved (/{name.lower()}/ is a path of this site), "
                "so it has no namespace of its own; publish under an organisation "
                "(create one in the portal: /portal/orgs/new)"
            )
        try:
            with transaction.atomic():
                publisher = Publisher.objects.create(
                    slug=name, display_name=name, kind=Publisher.Kind.USER, user=user
                )
        except IntegrityError:
            raise Conflict(
                f"an organisation is already named {name!r}; publish under an organisation"
            ) from None
    Membership.objects.get_or_create(publisher=publisher, user=user, defaults={"role": Role.OWNER})
    return publisher


def publisher_for_write(*, slug: str, user: AbstractBaseUser) -> Publisher:
    """An organisation the user may create repositories in (owner or maintainer)."""
    publisher = Publisher.objects.filter(slug=slug).first()
    role = Membership.objects.filter(publisher=publisher, user=user).values_list("role", flat=True).first()
    if publisher is None:
        raise NotFound(f"organisation {slug!r} does not exist; create it in the portal first")
    if role not in (Role.OWNER, Role.MAINTAINER) and not user.is_superuser:
        raise PermissionDenied(
            f"you need the owner or maintainer role in {slug} to create repositories there"
        )
    return publisher


def create_organisation(*, slug: str, display_name: str, owner: AbstractBaseUser) -> Publisher:
    if Publisher.objects.filter(slug__iexact=slug).exists():
        raise Conflict(f"the name {slug!r} is taken")
    return ensure_publisher(slug=slug, display_name=display_name, owner=owner)


def require_owner(*, publisher: Publisher, user: AbstractBaseUser) -> None:
    role = Membership.objects.filter(publisher=publisher, user=user).values_list("role", flat=True).first()
    if role != Role.OWNER and not user.is_superuser:
        raise PermissionDenied(f"only owners of {publisher.slug} may manage its members")


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise InvalidInput(f"role must be one of {', '.join(Role.values)}, not {role!r}")
    return role


@transaction.atomic
def invite(
    *, publisher: Publisher, email: str, role: str, actor: AbstractBaseUser, accept_url: str = ""
) -> Invitation:
    """An invitation link, sent by email (the console backend prints it in development)."""
    require_owner(publisher=publisher, user=actor)
    if publisher.kind != Publisher.Kind.ORGANISATION:
        raise InvalidInput("personal namespaces have no other members; create an organisation")
    if not email or "@" not in email:
        raise InvalidInput(f"{email!r} is not an email address")
    token = secrets.token_urlsafe(24)
    invitation = Invitation.objects.create(
        publisher=publisher,
        email=email,
        role=_check_role(role),
        invited_by=actor,
        token_hash=secret_digest(token),
    )
    invitation.token = token  # for the caller; never stored
    link = accept_url.replace("TOKEN", token) if accept_url else token
    send_mail(
        f"Join {publisher.slug} on the SLM registry",
        f"{actor.get_username()} invites you to {publisher.slug} as {role}. Accept: {link}",
        None,
        [email],
    )
    AuditEvent.record("member.invited", actor=actor, publisher=publisher.slug, email=email, role=role)
    return invitation


@transaction.atomic
def accept_invitation(*, token: str, user: AbstractBaseUser) -> Membership:
    invitation = Invitation.objects.select_for_update().filter(token_hash=secret_digest(token)).first()
    if invitation is None or invitation.accepted_at is not None:
        raise NotFound("this invitation does not exist or was already used")
    membership, _ = Membership.objects.get_or_create(
        publisher=invitation.publisher, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    AuditEvent.record("member.joined", actor=user, publisher=invitation.publisher.slug, role=membership.role)
    return membership


@transaction.atomic
def set_role(*, publisher: Publisher, username: str, role: str, actor: AbstractBaseUser) -> Membership:
    require_owner(publisher=publisher, user=actor)
    membership = Membership.objects.filter(publisher=publisher, user__username=username).first()
    if membership is None:
        raise NotFound(f"{username} is not a member of {publisher.slug}")
    if membership.role == Role.OWNER and role != Role.OWNER:
        _keep_an_owner(publisher)
    membership.role = _check_role(role)
    membership.save(update_fields=["role"])
    AuditEvent.record("member.role_changed", actor=actor, publisher=publisher.slug, user=username, role=role)
    return membership


@transaction.atomic
def remove_member(*, publisher: Publisher, username: str, actor: AbstractBaseUser) -> None:
    require_owner(publisher=publisher, user=actor)
    membership = Membership.objects.filter(publisher=publisher, user__username=username).first()
    if membership is None:
        raise NotFound(f"{username} is not a member of {publisher.slug}")
    if membership.role == Role.OWNER:
        _keep_an_owner(publisher)
    membership.delete()
    AuditEvent.record("member.removed", actor=actor, publisher=publisher.slug, user=username)


def _keep_an_owner(publisher: Publisher) -> None:
    if Membership.objects.filter(publisher=publisher, role=Role.OWNER).count() <= 1:
        raise InvalidInput(f"{publisher.slug} must keep at least one owner")
