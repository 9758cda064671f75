from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from portal.domain import applications as apps
from portal.domain import passwords as policy

REQUIRED = "Este campo es obligatorio."


def _max(n):
    return Length(max=n, message=f"Escriba como máximo {n} caracteres.")


def _nit_filter(value):
    return apps.normalize_nit(value) if isinstance(value, str) else value


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class RegistrationForm(FlaskForm):
    """'Creación de usuario'. The e-mail field is named `username`, as on the Hanna login
    form, so the per-account rate limit of the auth blueprint keys on it."""

    nit = StringField("NIT de la entidad", filters=[_nit_filter],
                      validators=[DataRequired(REQUIRED), Regexp(apps.NIT_RE, message=apps.NIT_MESSAGE)],
                      render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20})
    entity_name = StringField("Nombre o razón social de la entidad", filters=[_strip],
                              validators=[DataRequired(REQUIRED), _max(160)],
                              render_kw={"autocomplete": "organization", "maxlength": 160})
    full_name = StringField("Nombre completo", filters=[_strip],
                            validators=[DataRequired(REQUIRED), _max(160)],
                            render_kw={"autocomplete": "name", "maxlength": 160})
    username = EmailField("Email", filters=[_strip],
                          validators=[DataRequired(REQUIRED), _max(254),
                                      Email("Escriba un correo electrónico válido, por ejemplo "
                                            "nombre@empresa.com.")],
                          render_kw={"autocomplete": "username", "inputmode": "email",
                                     "autocapitalize": "none", "maxlength": 254})
    new_password = PasswordField("Contraseña", validators=[DataRequired(REQUIRED), _max(128)],
                                 render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField("Confirmar contraseña", validators=[DataRequired(REQUIRED)],
                                     render_kw={"autocomplete": "new-password"})
    accept_policy = BooleanField(
        "Acepto la política de tratamiento de datos personales de la Caja",
        validators=[DataRequired("Debe aceptar la política de tratamiento de datos personales "
                                 "para crear el usuario.")])

    # The service enforces these too; checking here lists every problem in one answer.
    def validate_new_password(self, field):
        missing = policy.failures(field.data)
        if missing:
            raise ValidationError("La contraseña no cumple: " + "; ".join(m.lower() for m in missing) + ".")

    def validate_confirm_password(self, field):
        if field.data != self.new_password.data:
            raise ValidationError("La confirmación no coincide con la contraseña.")


class ApplicationRequestForm(FlaskForm):
    application = SelectField("Aplicación", choices=[SelectChoice(a) for a in apps.APPLICATIONS],
                              invalid_choice_message="Escoja la aplicación que desea solicitar: "
                                                     "EMPRESAS o PROVEEDORES.")
    note = TextAreaField("Comentario para la Caja (opcional)", filters=[_strip],
                         validators=[Optional(), _max(500)],
                         render_kw={"rows": 2, "maxlength": 500,
                                    "placeholder": "Ej.: cargo del solicitante, teléfono de contacto"})


class BranchForm(FlaskForm):
    branch_id = HiddenField(validators=[DataRequired("Escoja una sucursal.")])


ORDER_TYPES = ["ADELANTO POR SUBSIDIOS"]


class OrderLookupForm(FlaskForm):
    cedula = StringField("Nit / Cédula", filters=[_nit_filter],
                         validators=[DataRequired(REQUIRED),
                                     Regexp(r"^\d{5,15}$", message="Escriba solo los números de la "
                                            "cédula del afiliado, sin puntos.")],
                         render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20})
    document_type = SelectField("Tipo Documento", choices=[SelectChoice(t) for t in ORDER_TYPES],
                                invalid_choice_message="Escoja un tipo de documento de la lista.")
    number = StringField("Nro Documento", filters=[_strip],
                         validators=[DataRequired(REQUIRED),
                                     Regexp(r"^[0-9A-Za-z-]{1,20}$", message="Escriba el número que "
                                            "aparece en la parte superior derecha de la orden.")],
                         render_kw={"autocomplete": "off", "maxlength": 20, "placeholder": "NroDcto"})
