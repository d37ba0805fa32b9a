"""Audiences: who may see a content item or a learning path, read in one SQL query."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery

from partners.models import Contact, ContactRole, Partner, Tier
from segments.models import Membership


class RolesAdmit(models.Expression):
    """True when a JSON list column is empty or contains `role` (PostgreSQL jsonb
    containment; SQLite json_each), so the audience check stays one SQL query."""

    output_field = models.BooleanField()

    def __init__(self, column: str, role: str) -> None:
        super().__init__()
        self.column = models.F(column)
        self.role = role

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler, connection):
        column, params = compiler.compile(self.column)
        sql = (
            f"(json_array_length({column}) = 0 OR EXISTS "
            f"(SELECT 1 FROM json_each({column}) WHERE json_each.value = %s))"
        )
        return sql, (*params, *params, self.role)

    def as_postgresql(self, compiler, connection):
        column, params = compiler.compile(self.column)
        sql = f"({column} = '[]'::jsonb OR {column} @> %s::jsonb)"
        return sql, (*params, *params, json.dumps([self.role]))


class AudienceQuerySet(models.QuerySet):
    def visible_to(self, *, contact: Contact) -> AudienceQuerySet:
        """Rows whose audience includes this contact: a member of any of the segments (or no
        segments), a partner tier of at least min_tier (or none), any of the roles (or none)."""
        source = self.model._meta.get_field("segments").m2m_field_name()
        links = self.model.segments.through.objects.filter(**{source: OuterRef("pk")})
        member_of = Membership.objects.filter(partner_id=contact.partner_id).values("segment_id")
        partner_rank = Partner.objects.filter(pk=contact.partner_id).values("tier__rank")[:1]
        return self.filter(
            ~Exists(links) | Exists(links.filter(segment_id__in=member_of)),
            Q(min_tier__isnull=True) | Q(min_tier__rank__lte=Subquery(partner_rank)),
            RolesAdmit("roles", contact.role),
        )


def roles_check(roles) -> None:
    """A list of contact role values without repeats; raise ValidationError otherwise."""
    valid = set(ContactRole.values)
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise ValidationError({"roles": ["Expected a list of contact roles."]})
    unknown = sorted(set(roles) - valid)
    if unknown:
        raise ValidationError(
            {"roles": [f"Unknown roles {unknown}; expected any of {sorted(valid)}."]}
        )


class Audience(models.Model):
    """Who may see a row. Each model adds its own `segments` (a PROTECT link: deleting a
    segment that gates something is refused, rather than opening it to everyone)."""

    min_tier = models.ForeignKey(
        Tier,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Partners of this tier rank or better; empty = every tier (and none).",
    )
    roles = models.JSONField(
        default=list,
        blank=True,
        help_text="Contact roles that may see it (sales, technical, …); empty = every role.",
    )

    class Meta:
        abstract = True

    def clean(self) -> None:
        roles_check(self.roles)
        self.roles = sorted(set(self.roles))
