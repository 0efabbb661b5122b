"""`{% load audit %}` then `{{ event.action|audit_words }}`: the registry's words for an action."""

from django import template

from cases.audit.events import audit_event_words

register = template.Library()


@register.filter
def audit_words(action: str) -> str:
    return audit_event_words(action)
