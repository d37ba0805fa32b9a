"""Template helpers shared by the portals: Bootstrap classes on form widgets, small formats."""

from django import forms, template
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from prm.formatting import format_percent

register = template.Library()

_SELECT_WIDGETS = (forms.Select, forms.SelectMultiple)
_CHECK_WIDGETS = (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)


@register.filter
def is_checkbox(bound_field) -> bool:
    return isinstance(bound_field.field.widget, forms.CheckboxInput)


@register.filter
def form_control(bound_field, extra: str = ""):
    """Render a bound field's widget with the Bootstrap class its kind wants, marked invalid
    when the field has errors; keeps any class the form set itself."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, _CHECK_WIDGETS):
        css = ""
    elif isinstance(widget, _SELECT_WIDGETS):
        css = "form-select"
    else:
        css = "form-control"
    classes = [widget.attrs.get("class", ""), css, extra]
    if bound_field.errors:
        classes.append("is-invalid")
    return bound_field.as_widget(attrs={"class": " ".join(c for c in classes if c)})


@register.filter
def percent(value, digits: int = 0) -> str:
    """0.423 → '42%' in the reader's locale (prm_format's filter); None → '—'."""
    return format_percent(value, int(digits))


@register.simple_tag
def select_options(choices, selected) -> str:
    """<option> elements for (value, label) choices, those in `selected` selected: one call
    instead of a template loop over every choice (a country list has 250)."""
    return format_html_join(
        "\n",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if value in selected else "", label)
            for value, label in choices
        ),
    )
