"""A refusal (`core.errors`) read out in the request's language.

The refusal carries its English sentence with {slots} and the values for them; here the sentence is
translated (German in core/locale/de) and only then filled, so the pure rules never need Django to speak
German. Every place that shows a refusal to a person (the API's error body, a page's message) reads it here.
"""

from django.utils.translation import gettext

from core.errors import DomainError


def spoken(error: DomainError) -> str:
    """The error's sentence in the active language: the English template translated, then its slots filled."""
    translated = gettext(error.template)
    return translated.format(**error.params) if error.params else translated
