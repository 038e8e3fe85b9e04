"""Users, roles and API tokens, and who may do what.

Tokens are random, shown once, and stored as their SHA-256 (they carry 256 bits of
entropy, so a fast hash is enough). A token acts with every role of its user.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from sqlmodel import Session, select

from catalogue.errors import Forbidden, Invalid, NotFound, Unauthorized
from catalogue.models import ApiToken, Committee, Organization, RoleAssignment, User, utcnow
from catalogue.vocabularies import Role

TOKEN_PREFIX = "ctd_"


@dataclass(frozen=True)
class Actor:
    """Who is asking: a user with roles, the anonymous public, or the operator at the CLI."""

    user_id: int | None = None
    name: str = "anonyme"
    admin: bool = False
    publisher_of: frozenset[int] = field(default_factory=frozenset)
    vendor_of: frozenset[int] = field(default_factory=frozenset)
    coordinator_of: frozenset[int] = field(default_factory=frozenset)

    @property
    def anonymous(self) -> bool:
        return self.user_id is None and not self.admin

    def publishes_for(self, organization_id: int) -> bool:
        return self.admin or organization_id in self.publisher_of

    def coordinates(self, committee_id: int) -> bool:
        return self.admin or committee_id in self.coordinator_of

    def require(self, allowed: bool, action: str) -> None:
        """Refuse ``action`` (a French phrase) unless ``allowed``: 401 if anonymous, else 403."""
        if allowed:
            return
        if self.anonymous:
            raise Unauthorized(f"Authentification requise pour {action}.")
        of = "d'" if action[:1].lower() in "aeéèêiîoôuh" else "de "
        raise Forbidden(f"Vous n'avez pas le droit {of}{action}.")


ANONYMOUS = Actor()
OPERATOR = Actor(name="opérateur", admin=True)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for(session: Session, user: User) -> Actor:
    roles = session.exec(select(RoleAssignment).where(RoleAssignment.user_id == user.id)).all()

    def ids(role: Role, attribute: str) -> frozenset[int]:
        return frozenset(getattr(r, attribute) for r in roles if r.role == role)

    return Actor(
        user_id=user.id, name=user.name,
        admin=any(r.role == Role.admin for r in roles),
        publisher_of=ids(Role.publisher, "organization_id"),
        vendor_of=ids(Role.vendor, "organization_id"),
        coordinator_of=ids(Role.committee_coordinator, "committee_id"),
    )


def authenticate(session: Session, token: str) -> Actor:
    found = session.exec(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                         .where(ApiToken.token_hash == hash_token(token))).first()
    if found is None:
        raise Unauthorized("Jeton d'accès inconnu ou révoqué.")
    return actor_for(session, found[1])


def grant_role(session: Session, user_name: str, role: Role, *, organization: str | None = None,
               committee: str | None = None) -> User:
    """Create the user if needed and give it ``role`` (scoped as the role requires)."""
    organization_id = committee_id = None
    if role in (Role.publisher, Role.vendor):
        if not organization:
            raise Invalid(f"Le rôle {role} demande une organisation.", field="organization")
        org = session.exec(select(Organization).where(Organization.slug == organization)).first()
        if org is None:
            raise NotFound(f"Organisation inconnue : « {organization} ».")
        organization_id = org.id
    elif role == Role.committee_coordinator:
        if not committee:
            raise Invalid("Le rôle committee_coordinator demande un comité.", field="committee")
        com = session.exec(select(Committee).where(Committee.slug == committee)).first()
        if com is None:
            raise NotFound(f"Comité inconnu : « {committee} ».")
        committee_id = com.id
    user = session.exec(select(User).where(User.name == user_name)).first()
    if user is None:
        user = User(name=user_name)
        session.add(user)
        session.flush()
    exists = session.exec(select(RoleAssignment).where(
        RoleAssignment.user_id == user.id, RoleAssignment.role == role,
        RoleAssignment.organization_id == organization_id,
        RoleAssignment.committee_id == committee_id)).first()
    if exists is None:
        session.add(RoleAssignment(user_id=user.id, role=role, organization_id=organization_id,
                                   committee_id=committee_id))
        session.flush()
    return user


def create_token(session: Session, user: User, label: str = "") -> str:
    """A new token for ``user``; the only time the clear token exists."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), label=label,
                         created=utcnow()))
    session.flush()
    return token
