"""Forms of the customer page /my/."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cards.signin_guard import typed_number
from loyalty.models import Customer


class SignInForm(forms.Form):
    # No format checks on the number here: a malformed number must fail exactly like an unknown one.
    number = forms.CharField(
        label=_("Card number"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "username", "autocapitalize": "none", "autofocus": True}
        ),
    )
    pin = forms.CharField(
        label=_("PIN"),
        max_length=16,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "current-password"}),
    )

    def clean_pin(self) -> str:
        # Typed as printed ("1234 5678") or with a dash, like the number: the same PIN, not a wrong one.
        pin = typed_number(self.cleaned_data["pin"])
        if not pin:
            raise forms.ValidationError(self.fields["pin"].error_messages["required"], code="required")
        return pin


class ProfileForm(forms.ModelForm):
    """What a customer may change themselves; name and phone change only in store (the phone is their key)."""

    class Meta:
        model = Customer
        fields = ["email", "marketing_consent"]
        labels = {"email": _("E-mail"), "marketing_consent": _("Send me offers and news by e-mail")}
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email"})}

    def save(self, commit: bool = True) -> Customer:
        # Only these two columns: a full save() would write back a name or phone that a manager
        # changed in the back office since this page was loaded.
        Customer.objects.filter(pk=self.instance.pk).update(
            email=self.cleaned_data["email"], marketing_consent=self.cleaned_data["marketing_consent"]
        )
        return self.instance
