from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from facilitator.activities import registry
from facilitator.auth.forms import EMAIL


class WorkshopForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    purpose = TextAreaField(_l("Purpose (shown to participants)"), validators=[Optional(), Length(max=2000)])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    starts_on = StringField(
        _l("Date"),
        validators=[Optional(), Regexp(r"^\d{4}-\d{2}-\d{2}$", message=_l("Use the form 2026-11-23."))],
        render_kw={"type": "date"},
    )
    screen_language = SelectField(
        _l("Language of the big screen"),
        description=_l("Phones choose their own language; the big screen shows this one."),
        validators=[Optional()],
    )

    def __init__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        super().__init__(*args, **kwargs)
        from facilitator.i18n import language_names

        self.screen_language.choices = [("", _l("The language of the laptop showing it")), *language_names()]


class ActivityAddForm(FlaskForm):
    kind = SelectField(_l("Kind of activity"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    prompt = TextAreaField(_l("Question or prompt for participants"), validators=[Optional(), Length(max=1000)])

    def __init__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.name, k.label()) for k in registry().values()]


class ActivityEditForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    prompt = TextAreaField(_l("Question or prompt for participants"), validators=[Optional(), Length(max=1000)])
    visibility = SelectField(
        _l("Who sees names"),
        choices=[
            SelectChoice("named", _l("Named: everyone sees who wrote what")),
            SelectChoice("facilitators", _l("Named to facilitators only")),
            SelectChoice("anonymous", _l("Anonymous: nobody sees who wrote what")),
        ],
    )


class CoFacilitatorForm(FlaskForm):
    email = EmailField(_l("Email of a facilitator account"), validators=[DataRequired(), Regexp(EMAIL, message=_l("Please give a valid email address.")), Length(max=254)])


class JoinCodeForm(FlaskForm):
    code = StringField(
        _l("Join code"),
        validators=[DataRequired(), Length(max=12)],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "placeholder": "123 456"},
    )


class JoinForm(FlaskForm):
    display_name = StringField(_l("Your name (optional)"), validators=[Optional(), Length(max=60)])
    organisation = StringField(_l("Your organisation (optional)"), validators=[Optional(), Length(max=120)])
    sector = SelectField(_l("Your sector (optional)"), validators=[Optional()])

    def __init__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        super().__init__(*args, **kwargs)
        from facilitator.i18n import translate_builtin

        # The value stays the English text (what is stored); the label is in the reader's language.
        self.sector.choices = [("", "—")] + [(s, translate_builtin(s)) for s in current_app.config["SECTORS"]]
