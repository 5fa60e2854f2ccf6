"""The portal's endpoint form: shape only; the URL and event rules live in services and addresses."""

from django import forms

from .models import EVENTS


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="Payload URL",
        max_length=2000,
        assume_scheme="https",
        help_text="https:// to a public address; each delivery is signed with the endpoint's secret.",
    )
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=list(EVENTS.items()), widget=forms.CheckboxSelectMultiple, initial=list(EVENTS)
    )
