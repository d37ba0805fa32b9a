"""Shape checks for the segments API; rules are checked by segments.rules via the services."""

from __future__ import annotations

import json

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from segments import selectors
from segments.models import EvaluationRun, MembershipEvent, Segment


def _check_rule_size(value):
    size = len(json.dumps(value))
    if size > settings.PRM_SEGMENT_MAX_RULE_BYTES:
        raise serializers.ValidationError(
            [
                {
                    "path": "",
                    "message": f"the rule is {size} bytes; at most "
                    f"{settings.PRM_SEGMENT_MAX_RULE_BYTES} are allowed",
                }
            ]
        )
    return value


class SegmentSerializer(serializers.ModelSerializer):
    # Null when made by a system job or when its owner's account was deleted.
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    depends_on = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    slug = serializers.SlugField(max_length=100, required=False)
    rule = serializers.JSONField(required=False, allow_null=True)

    class Meta:
        model = Segment
        fields = [
            "id",
            "name",
            "slug",
            "objective",
            "description",
            "kind",
            "rule",
            "depends_on",
            "is_active",
            "refresh_interval_minutes",
            "owner",
            "version",
            "member_count",
            "last_evaluated_at",
            "next_evaluation_at",
            "consecutive_failures",
            "last_error",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "version",
            "member_count",
            "last_evaluated_at",
            "next_evaluation_at",
            "consecutive_failures",
            "last_error",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"objective": {"allow_blank": False}}

    def validate_rule(self, value):
        return _check_rule_size(value)

    def validate_slug(self, value: str) -> str:
        others = Segment.objects.filter(slug=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError("A segment with this slug already exists.")
        return value

    def validate_refresh_interval_minutes(self, value: int) -> int:
        if value < 1:
            raise serializers.ValidationError("At least one minute.")
        return value


class RuleSerializer(serializers.Serializer):
    rule = serializers.JSONField()

    def validate_rule(self, value):
        return _check_rule_size(value)


class PreviewSampleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    partner_type = serializers.CharField()
    region = serializers.CharField(allow_null=True)
    tier = serializers.CharField(allow_null=True)


class PreviewSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    sample = PreviewSampleSerializer(many=True)


class EvaluateResultSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    status = serializers.CharField()
    matched = serializers.IntegerField(allow_null=True)
    joined = serializers.IntegerField()
    left = serializers.IntegerField()
    duration_ms = serializers.IntegerField(allow_null=True)
    error = serializers.CharField(allow_blank=True)


class MembershipEventCauseSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["rule_edit", "change", "manual", "schedule", "unknown"],
        help_text="What caused the join or leave.",
    )
    label = serializers.CharField(help_text='e.g. "Partner change: Region".')
    fields = serializers.ListField(
        child=serializers.CharField(), help_text="A partner change's changed fields."
    )
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="A partner change's reasons (update, import…)."
    )


class MembershipEventSerializer(serializers.ModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    partner_external_id = serializers.CharField(source="partner.external_id", read_only=True)
    cause = serializers.SerializerMethodField()

    class Meta:
        model = MembershipEvent
        fields = [
            "id",
            "partner",
            "partner_name",
            "partner_external_id",
            "kind",
            "at",
            "run",
            "cause",
        ]

    @extend_schema_field(MembershipEventCauseSerializer)
    def get_cause(self, event: MembershipEvent) -> dict:
        return selectors.membership_event_cause(event)


class EvaluationRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = EvaluationRun
        fields = [
            "id",
            "trigger",
            "status",
            "segment_version",
            "partner_count",
            "started_at",
            "finished_at",
            "matched",
            "joined",
            "left",
            "duration_ms",
            "error",
        ]


class MembersChangeSerializer(serializers.Serializer):
    partner_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=100_000
    )
    external_ids = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=100_000
    )

    def validate(self, attrs):
        if not attrs.get("partner_ids") and not attrs.get("external_ids"):
            raise serializers.ValidationError("Give partner_ids or external_ids.")
        return attrs


class MembersUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A CSV with an external_id column.")
    replace = serializers.BooleanField(
        default=False, help_text="Make the members exactly the file's partners."
    )


class OverlapPairSerializer(serializers.Serializer):
    a = serializers.CharField()
    b = serializers.CharField()
    a_members = serializers.IntegerField()
    b_members = serializers.IntegerField()
    shared = serializers.IntegerField()
    jaccard = serializers.FloatField()
    overlap = serializers.FloatField()


class WarningSerializer(serializers.Serializer):
    kind = serializers.CharField()
    segment = serializers.CharField(allow_null=True)
    other = serializers.CharField(required=False)
    message = serializers.CharField()
