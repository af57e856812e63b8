"""Account forms: sign-up, login, two-step code, password reset and change, site settings."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, StopValidation, ValidationError

from app.organisers.accounts.passwords import MAX_LENGTH, password_problem
from app.signatures.forms import EMAIL_MAX, TypedForm, at_most, email_address, strip


def email_field() -> StringField:
    """The address: required, valid syntax, at most 254 characters."""
    return StringField(
        _l("Email address"),
        filters=[strip],
        validators=[
            InputRequired(_l("Enter your email address.")),
            at_most(EMAIL_MAX),
            email_address,
        ],
    )


def password_field(label, missing_message) -> PasswordField:
    """A password input; never shown again with its value."""
    return PasswordField(
        label, validators=[InputRequired(missing_message), at_most(MAX_LENGTH * 4)]
    )


class NewPasswordMixin:
    """A new password and its repetition, checked against the password rules."""

    new_password = password_field(_l("New password"), _l("Enter a new password."))
    confirm_password = password_field(_l("New password again"), _l("Enter the password again."))

    def account_email(self) -> str:
        """The address the password must not contain."""
        return ""

    def validate_new_password(self, field):
        """At least the minimum length, not common, not the address."""
        problem = password_problem(field.data, self.account_email())
        if problem:
            raise StopValidation(problem)

    def validate_confirm_password(self, field):
        """Typed twice the same."""
        if field.data != self.new_password.data:
            raise ValidationError(_l("The two passwords are not the same."))


class SignupForm(NewPasswordMixin, TypedForm):
    """Email address and a password, twice."""

    email = email_field()
    new_password = password_field(_l("Password"), _l("Enter a password."))
    confirm_password = password_field(_l("Password again"), _l("Enter the password again."))

    def account_email(self) -> str:
        """The address typed in this form."""
        return self.email.data or ""


class LoginForm(TypedForm):
    """Email address and password; `next` is where to go afterwards."""

    email = email_field()
    password = password_field(_l("Password"), _l("Enter your password."))
    next = HiddenField()


class TwoStepForm(TypedForm):
    """The authenticator code, or a recovery code."""

    code = StringField(
        _l("Code"),
        filters=[strip],
        validators=[InputRequired(_l("Enter the code.")), at_most(32)],
    )


class ResetRequestForm(TypedForm):
    """The address to send a reset link to."""

    email = email_field()


class ResetPasswordForm(NewPasswordMixin, TypedForm):
    """A new password, through an emailed link."""

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email

    def account_email(self) -> str:
        """The address of the account whose link this is."""
        return self._email


class ChangePasswordForm(ResetPasswordForm):
    """The current password, then a new one (declared in the order they are shown)."""

    current_password = password_field(_l("Current password"), _l("Enter your current password."))
    new_password = password_field(_l("New password"), _l("Enter a new password."))
    confirm_password = password_field(_l("New password again"), _l("Enter the password again."))


class EnableTwoFactorForm(TypedForm):
    """A code from the app, proving it was set up."""

    code = StringField(
        _l("Code from the app"),
        filters=[strip],
        validators=[InputRequired(_l("Enter the code from your app.")), at_most(32)],
    )


class DisableTwoFactorForm(TypedForm):
    """Password and a code, to turn two-step login off."""

    password = password_field(_l("Password"), _l("Enter your password."))
    code = StringField(
        _l("Code from the app, or a recovery code"),
        filters=[strip],
        validators=[InputRequired(_l("Enter the code.")), at_most(32)],
    )


class SiteSettingsForm(TypedForm):
    """Site-wide settings."""

    require_two_factor = BooleanField(
        _l("Require two-step login for everyone who can see signatures")
    )
