"""`{{ flag|flag_class }}`: the CSS classes of an abnormal flag where a page styles it by direction
(the patient banner, trend charts): "HH" is high *and* critical, "LL" low and critical, so a
critically high value never shows in the colour of a low one."""

from django import template

register = template.Library()

FLAG_CLASSES = {
    "H": "flag-high",
    "HH": "flag-high flag-critical",
    "L": "flag-low",
    "LL": "flag-low flag-critical",
    "A": "flag-abnormal",
}


@register.filter
def flag_class(flag: object) -> str:
    """The classes of `flag` (N/L/H/LL/HH/A), "" for a normal or missing one."""
    return FLAG_CLASSES.get(flag, "") if isinstance(flag, str) else ""
