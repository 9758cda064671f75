from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from portal.domain.acquirer_rules import PSE_BANKS

REQUIRED = "Este campo es obligatorio."


class CardForm(FlaskForm):
    number = StringField("Número de tarjeta", validators=[DataRequired(REQUIRED), Length(max=23)],
                         render_kw={"inputmode": "numeric", "autocomplete": "cc-number", "maxlength": 23})
    holder = StringField("Nombre del titular (como aparece en la tarjeta)",
                         validators=[DataRequired(REQUIRED), Length(min=3, max=80)],
                         render_kw={"autocomplete": "cc-name"})
    expiry = StringField("Vencimiento (MM/AA)", validators=[DataRequired(REQUIRED),
                         Regexp(r"^\s*\d{1,2}\s*/\s*\d{2}\s*$", message="Escriba la fecha como MM/AA.")],
                         render_kw={"inputmode": "numeric", "autocomplete": "cc-exp", "placeholder": "MM/AA"})
    cvc = StringField("CVC", validators=[DataRequired(REQUIRED)],
                      render_kw={"inputmode": "numeric", "autocomplete": "cc-csc", "maxlength": 4})
    installments = SelectField("Número de cuotas", choices=[(str(n), str(n)) for n in range(1, 37)],
                               default="1")


class PseForm(FlaskForm):
    user_type = SelectField("Tipo de persona", choices=[("0", "Persona natural"), ("1", "Persona jurídica")])
    id_type = SelectField("Tipo de documento", choices=[("CC", "Cédula de ciudadanía"), ("CE", "Cédula de extranjería"),
                                                         ("NIT", "NIT"), ("PP", "Pasaporte")])
    id_number = StringField("Número de documento", validators=[
        DataRequired(REQUIRED), Regexp(r"^\d{5,15}$", message="Escriba solo números (5 a 15 dígitos).")],
        render_kw={"inputmode": "numeric"})
    bank = SelectField("Banco", choices=[("", "Seleccione su banco")] + [(code, name) for code, (name, _) in PSE_BANKS.items()],
                       validators=[DataRequired("Seleccione su banco.")])
