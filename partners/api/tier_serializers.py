"""Shape checks for the tier program API; the rules live in partners.tiers."""

from __future__ import annotations

from rest_framework import serializers

from partners.models import Certification, Tier, TierChange


class TierSerializer(serializers.ModelSerializer):
    """A tier and its requirements (null = no requirement); slug and rank are fixed here
    (the admin edits them)."""

    required_certifications = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Certification.objects.all(),
        many=True,
        required=False,
        help_text="Slugs; when set, only these active certifications count toward "
        "min_active_certifications.",
    )
    min_revenue_12m = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, allow_null=True, required=False
    )
    min_enablement_completion_pct = serializers.FloatField(
        min_value=0, max_value=100, allow_null=True, required=False
    )
    partner_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Tier
        fields = [
            "id",
            "slug",
            "name",
            "rank",
            "description",
            "is_automatic",
            "min_revenue_12m",
            "min_deals_won_12m",
            "min_active_certifications",
            "required_certifications",
            "min_enablement_completion_pct",
            "benefits",
            "partner_count",
        ]
        read_only_fields = ["id", "slug", "rank", "partner_count"]

    def validate_benefits(self, value):
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise serializers.ValidationError("Expected a list of texts.")
        return value


class TierChangeSerializer(serializers.ModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    partner_external_id = serializers.CharField(source="partner.external_id", read_only=True)
    from_tier = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    to_tier = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TierChange
        fields = [
            "id",
            "partner",
            "partner_name",
            "partner_external_id",
            "from_tier",
            "to_tier",
            "direction",
            "status",
            "source",
            "reasons",
            "created_at",
            "decided_at",
            "decided_by",
        ]
        read_only_fields = fields


class TierEvaluateRequestSerializer(serializers.Serializer):
    apply = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Apply the moves now (true) or queue them for approval (false); "
        "default: the PRM_TIER_CHANGES_REQUIRE_APPROVAL setting.",
    )


class TierEvaluateResultSerializer(serializers.Serializer):
    evaluated = serializers.IntegerField()
    up = serializers.IntegerField()
    down = serializers.IntegerField()
    applied = serializers.IntegerField()
    pending = serializers.IntegerField()
    superseded = serializers.IntegerField()
    held = serializers.IntegerField(help_text="Moves not proposed again after a rejection.")


class WhatIfRequestSerializer(serializers.Serializer):
    thresholds = serializers.JSONField(
        help_text='{tier slug: {requirement: number or null}}, e.g. {"gold": '
        '{"min_revenue_12m": 800000}}; requirements: min_revenue_12m, min_deals_won_12m, '
        "min_active_certifications, min_enablement_completion_pct."
    )


class WhatIfPartnerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    tier_from = serializers.CharField(allow_null=True)
    tier_to = serializers.CharField(allow_null=True)


class WhatIfMoveSerializer(serializers.Serializer):
    tier_from = serializers.CharField(allow_null=True)
    tier_to = serializers.CharField(allow_null=True)
    direction = serializers.ChoiceField(choices=["up", "down"])
    count = serializers.IntegerField()


class WhatIfResultSerializer(serializers.Serializer):
    partners = serializers.IntegerField()
    up = serializers.IntegerField()
    down = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    moves = WhatIfMoveSerializer(many=True)
    sample_up = WhatIfPartnerSerializer(many=True)
    sample_down = WhatIfPartnerSerializer(many=True)


class ThresholdErrorSerializer(serializers.Serializer):
    path = serializers.CharField(
        help_text="JSON pointer into thresholds, e.g. /gold/min_revenue_12m"
    )
    message = serializers.CharField()


class ThresholdErrorsSerializer(serializers.Serializer):
    thresholds = ThresholdErrorSerializer(many=True)


class TierBriefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    rank = serializers.IntegerField()


class NextTierSerializer(TierBriefSerializer):
    is_automatic = serializers.BooleanField()


class RequirementProgressSerializer(serializers.Serializer):
    requirement = serializers.CharField()
    required = serializers.FloatField()
    actual = serializers.FloatField(allow_null=True)
    missing = serializers.FloatField()
    met = serializers.BooleanField()
    certifications = serializers.ListField(child=serializers.CharField(), required=False)


class PendingChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    to_tier = serializers.CharField(allow_null=True)
    direction = serializers.CharField()
    created_at = serializers.DateTimeField()


class TierProgressSerializer(serializers.Serializer):
    partner = serializers.IntegerField()
    tier = TierBriefSerializer(allow_null=True)
    qualifying_tier = TierBriefSerializer(allow_null=True)
    next_tier = NextTierSerializer(allow_null=True)
    requirements = RequirementProgressSerializer(many=True)
    pct = serializers.FloatField(
        allow_null=True, help_text="The mean share met over the next tier's requirements."
    )
    progress_pct = serializers.FloatField(
        allow_null=True,
        help_text="The share met of the next tier's requirement furthest from met: 100 exactly "
        "when the partner qualifies (the segment field next_tier_progress_pct).",
    )
    unmet = serializers.IntegerField(
        allow_null=True, help_text="How many of the next tier's requirements are not met yet."
    )
    next_tier_gap_pct = serializers.FloatField(
        allow_null=True, help_text="Revenue only: percent of the next tier's minimum missing."
    )
    pending_change = PendingChangeSerializer(allow_null=True)
