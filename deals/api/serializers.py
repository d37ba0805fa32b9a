"""Shapes of the deals API. They check types only: deals.services validate and decide.

A partner user's registration (PartnerDealSerializer) is the manager's without what belongs to
the vendor or to other partners: a conflict says only that one exists and on what it matched,
never the other partner or their registration, and the incentive's explanation names the rule
that applies, not the other rules (whose segments may be private)."""

from __future__ import annotations

from django.utils import timezone
from django_countries.serializer_fields import CountryField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from deals.incentives import SPECIFICITY_LABELS, rule_specificity
from deals.models import (
    Account,
    ConflictMatch,
    DealConflict,
    DealRegistration,
    DealStatus,
    DealTransition,
    ExtensionStatus,
    IncentiveRule,
)
from deals.services.rules import RULE_FIELDS
from partners.api.serializers import SlugListField
from partners.models import Industry, Partner, Tier
from segments.models import Segment

MONEY = {"max_digits": 16, "decimal_places": 2}


class AccountSerializer(serializers.ModelSerializer):
    country = CountryField(read_only=True, allow_null=True)
    industry = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Account
        fields = ["id", "name", "normalized_name", "domain", "country", "industry"]
        read_only_fields = fields


class AccountDetailSerializer(serializers.ModelSerializer):
    """A customer for managers: what registrations name it by, and how many do. A PATCH may
    correct the name, domain, country and industry."""

    country = CountryField(required=False, allow_null=True, allow_blank=True)
    industry = serializers.SlugRelatedField(
        slug_field="slug", queryset=Industry.objects.all(), required=False, allow_null=True
    )
    deal_count = serializers.IntegerField(read_only=True)
    open_deal_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "normalized_name",
            "domain",
            "country",
            "industry",
            "deal_count",
            "open_deal_count",
            "created_at",
        ]
        read_only_fields = ["id", "normalized_name", "created_at"]
        extra_kwargs = {"domain": {"validators": []}}  # account_update says it by field


class AccountInputSerializer(serializers.Serializer):
    """The end customer as the partner names it; found again by domain (else by name and
    country) or created."""

    name = serializers.CharField(max_length=200)
    domain = serializers.CharField(max_length=253, required=False, allow_blank=True, default="")
    country = serializers.CharField(
        max_length=2, required=False, allow_blank=True, allow_null=True, default=None
    )
    industry = serializers.SlugRelatedField(
        slug_field="slug", queryset=Industry.objects.all(), required=False, allow_null=True
    )


class DealInputSerializer(serializers.Serializer):
    """A registration to create (a draft; `submit: true` submits it at once) or a draft's
    changes (PATCH: any of these)."""

    partner = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects.all(),
        required=False,
        help_text="Managers: the partner it is for. Partner users: their own company (implied).",
    )
    account = AccountInputSerializer()
    name = serializers.CharField(max_length=200)
    amount = serializers.DecimalField(**MONEY, min_value=0)
    currency = serializers.CharField(max_length=8, help_text="ISO 4217, e.g. EUR.")
    expected_close_date = serializers.DateField()
    products = serializers.ListField(
        child=serializers.SlugField(max_length=64),
        required=False,
        default=list,
        max_length=100,
        help_text="Technology slugs, e.g. aws.",
    )
    notes = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")
    submit = serializers.BooleanField(required=False, default=False, write_only=True)

    def to_service_kwargs(self) -> dict:
        """The validated body as deal_create / deal_update keyword arguments."""
        data = dict(self.validated_data)
        data.pop("partner", None)
        data.pop("submit", None)
        account = data.pop("account", None)
        if account is not None:
            data["account_name"] = account["name"]
            for name in ("domain", "country", "industry"):
                if name in account:
                    data[f"account_{name}"] = account[name]
        if "products" in data:
            data["technologies"] = data.pop("products")
        return data


class IncentiveSerializer(serializers.Serializer):
    """The incentive of a registration: the preview until approval, then the one locked in."""

    rule = serializers.IntegerField(allow_null=True, help_text="The incentive rule's id.")
    rule_name = serializers.CharField(allow_null=True)
    discount_pct = serializers.DecimalField(max_digits=5, decimal_places=2)
    rebate_pct = serializers.DecimalField(max_digits=5, decimal_places=2)
    protection_days = serializers.IntegerField()
    auto_approve_below = serializers.DecimalField(**MONEY, allow_null=True)
    locked = serializers.BooleanField(help_text="Locked in at approval; rule changes leave it.")
    why = serializers.CharField()
    explanation = serializers.JSONField()


class ConflictSerializer(serializers.ModelSerializer):
    """Another partner's open registration naming the same customer, with the evidence."""

    deal = serializers.IntegerField(source="competing_id")
    partner = serializers.IntegerField(source="competing.partner_id")
    partner_name = serializers.CharField(source="competing.partner.name")
    reason = serializers.ChoiceField(source="matched_on", choices=ConflictMatch.choices)
    products = serializers.JSONField(source="shared_technologies")

    class Meta:
        model = DealConflict
        fields = ["deal", "partner", "partner_name", "reason", "similarity", "products"]


class PartnerConflictSerializer(serializers.ModelSerializer):
    """That a conflict exists, and on what it matched: nothing of the other partner."""

    reason = serializers.ChoiceField(source="matched_on", choices=ConflictMatch.choices)

    class Meta:
        model = DealConflict
        fields = ["reason"]


class TransitionSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = DealTransition
        fields = ["action", "from_status", "to_status", "actor", "reason", "at"]

    def get_actor(self, transition: DealTransition) -> str | None:
        return transition.actor.get_username() if transition.actor_id else None


class PartnerTransitionSerializer(TransitionSerializer):
    """A partner user sees who of their company acted; the vendor's people as "channel team"."""

    def get_actor(self, transition: DealTransition) -> str | None:
        if not transition.actor_id:
            return None
        if transition.actor.is_staff:
            return "channel team"
        return transition.actor.get_full_name() or transition.actor.get_username()


def incentive_of(deal: DealRegistration, *, full: bool) -> dict | None:
    """The locked incentive of an approved (or closed) registration; None before."""
    if deal.protection_days is None:
        return None
    explanation = deal.incentive_explanation or {}
    if not full:
        explanation = {key: value for key, value in explanation.items() if key != "candidates"}
    return {
        "rule": deal.incentive_rule_id,
        "rule_name": (explanation.get("rule") or {}).get("name"),
        "discount_pct": deal.discount_pct,
        "rebate_pct": deal.rebate_pct,
        "protection_days": deal.protection_days,
        "auto_approve_below": None,
        "locked": True,
        "why": explanation.get("why", ""),
        "explanation": explanation,
    }


class DealSerializer(serializers.ModelSerializer):
    """A registration as a channel manager sees it."""

    state = serializers.ChoiceField(source="status", choices=DealStatus.choices, read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    submitted_by = serializers.SerializerMethodField()
    account = AccountSerializer(read_only=True)
    products = SlugListField(source="technologies", read_only=True)
    has_attachment = serializers.SerializerMethodField()
    is_overdue = serializers.SerializerMethodField()
    protection_days_left = serializers.SerializerMethodField()
    incentive = serializers.SerializerMethodField()
    conflicts = ConflictSerializer(many=True, read_only=True)
    extension_status = serializers.ChoiceField(choices=ExtensionStatus.choices, read_only=True)

    incentive_full = True

    class Meta:
        model = DealRegistration
        fields = [
            "id",
            "state",
            "partner",
            "partner_name",
            "submitted_by",
            "account",
            "name",
            "products",
            "amount",
            "currency",
            "expected_close_date",
            "notes",
            "has_attachment",
            "created_at",
            "submitted_at",
            "review_due_at",
            "is_overdue",
            "decided_at",
            "decision_reason",
            "protection_ends_on",
            "protection_days_left",
            "extension_status",
            "extension_days",
            "closed_at",
            "incentive",
            "has_conflict",
            "conflicts",
        ]
        read_only_fields = fields

    def get_submitted_by(self, deal: DealRegistration) -> str | None:
        return deal.submitted_by.get_username() if deal.submitted_by_id else None

    def get_has_attachment(self, deal: DealRegistration) -> bool:
        return bool(deal.attachment)

    def get_is_overdue(self, deal: DealRegistration) -> bool:
        if hasattr(deal, "is_overdue"):
            return bool(deal.is_overdue)
        return deal.status == DealStatus.SUBMITTED and bool(
            deal.overdue_at or (deal.review_due_at and deal.review_due_at < timezone.now())
        )

    def get_protection_days_left(self, deal: DealRegistration) -> int | None:
        if deal.status != DealStatus.APPROVED or deal.protection_ends_on is None:
            return None
        return max((deal.protection_ends_on - timezone.localdate()).days, 0)

    @extend_schema_field(IncentiveSerializer(allow_null=True))
    def get_incentive(self, deal: DealRegistration) -> dict | None:
        incentive = incentive_of(deal, full=self.incentive_full)
        return None if incentive is None else IncentiveSerializer(incentive).data


class PartnerDealSerializer(DealSerializer):
    """A registration as its partner's users see it."""

    conflicts = PartnerConflictSerializer(many=True, read_only=True)
    incentive_full = False

    class Meta(DealSerializer.Meta):
        fields = [name for name in DealSerializer.Meta.fields if name != "partner_name"]
        read_only_fields = fields


class DealDetailSerializer(DealSerializer):
    history = TransitionSerializer(source="transitions", many=True, read_only=True)

    class Meta(DealSerializer.Meta):
        fields = [*DealSerializer.Meta.fields, "history"]
        read_only_fields = fields


class PartnerDealDetailSerializer(PartnerDealSerializer):
    history = PartnerTransitionSerializer(source="transitions", many=True, read_only=True)

    class Meta(PartnerDealSerializer.Meta):
        fields = [*PartnerDealSerializer.Meta.fields, "history"]
        read_only_fields = fields


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2_000, required=False, allow_blank=True, default="")


class ExtensionRequestSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, help_text="More days of protection asked for.")
    reason = serializers.CharField(max_length=2_000)


class BulkDecisionSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=500)
    decision = serializers.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = serializers.CharField(max_length=2_000, required=False, allow_blank=True, default="")


class StateConflictSerializer(serializers.Serializer):
    """A transition the registration's current state does not allow."""

    detail = serializers.CharField()
    state = serializers.CharField(help_text="The registration's current state.")


class IncentivePreviewInputSerializer(serializers.Serializer):
    partner = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects.all(),
        required=False,
        help_text="Managers: whose deal. Partner users: their own company (implied).",
    )
    amount = serializers.DecimalField(**MONEY, min_value=0)
    currency = serializers.CharField(max_length=3)
    products = serializers.ListField(
        child=serializers.SlugField(max_length=64), required=False, default=list, max_length=100
    )


class IncentivePreviewSerializer(serializers.Serializer):
    """What submitting would lock in now (a rule change before approval changes it)."""

    matches = serializers.BooleanField(help_text="Whether any rule matches.")
    incentive = IncentiveSerializer(allow_null=True)
    auto_approves = serializers.BooleanField(
        help_text="Submitted now without a conflict, it would be approved at once."
    )


class IncentiveRuleSerializer(serializers.ModelSerializer):
    segment = serializers.SlugRelatedField(
        slug_field="slug", queryset=Segment.objects.all(), allow_null=True, required=False
    )
    tier = serializers.SlugRelatedField(
        slug_field="slug", queryset=Tier.objects.all(), allow_null=True, required=False
    )
    specificity = serializers.SerializerMethodField()

    class Meta:
        model = IncentiveRule
        fields = [
            "id",
            *RULE_FIELDS,
            "specificity",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "specificity", "created_at", "updated_at"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_specificity(self, rule: IncentiveRule) -> str:
        return SPECIFICITY_LABELS[rule_specificity(rule)]
