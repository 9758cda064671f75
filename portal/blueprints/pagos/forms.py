from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

REQUIRED = "Este campo es obligatorio."


class AmountForm(FlaskForm):
    option = RadioField("Valor a Pagar", choices=[("cuota", "Cuota mensual"), ("saldo", "Saldo total de la deuda"),
                                                  ("otro", "Otro valor")],
                        validators=[DataRequired("Seleccione el valor a pagar.")], default="cuota")
    other = StringField("Otro Valor", validators=[Optional(), Length(max=20)],
                        render_kw={"inputmode": "decimal", "placeholder": "Ej: 150.000"})


class ChildForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search that changes nothing

    child_id = StringField("Número de Identificación del Alumno", validators=[
        DataRequired(REQUIRED), Regexp(r"^\d{4,15}$", message="Escriba solo los números del documento del niño(a).")],
        render_kw={"inputmode": "numeric", "autocomplete": "off"})


class PayerForm(FlaskForm):
    """'Registro de Clientes': who makes this payment."""
    first_name = StringField("Nombres", validators=[DataRequired(REQUIRED), Length(max=80)],
                             render_kw={"autocomplete": "given-name"})
    last_name = StringField("Apellidos", validators=[DataRequired(REQUIRED), Length(max=80)],
                            render_kw={"autocomplete": "family-name"})
    email = EmailField("Email", validators=[DataRequired(REQUIRED), Email("Escriba un correo electrónico válido."),
                                            Length(max=254)], render_kw={"autocomplete": "email"})
    mobile = StringField("Celular", validators=[
        DataRequired(REQUIRED), Regexp(r"^3\d{9}$", message="Escriba un celular colombiano de 10 dígitos que empiece por 3.")],
        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    address = StringField("Dirección", validators=[DataRequired(REQUIRED), Length(max=200)],
                          render_kw={"autocomplete": "street-address"})


class ContactForm(FlaskForm):
    """«Actualizar mis datos»: domain/contact_updates.check says what is wrong (by field)."""
    mobile = StringField("Celular", render_kw={"inputmode": "numeric", "autocomplete": "tel-national",
                                               "pattern": "[0-9 ]*", "maxlength": 16})
    email = EmailField("Correo electrónico", render_kw={"autocomplete": "email", "inputmode": "email",
                                                        "autocapitalize": "none", "maxlength": 254})
    address = StringField("Dirección", render_kw={"autocomplete": "street-address", "maxlength": 200})

    FIELDS = ("mobile", "email", "address")

    def fill(self, affiliate):
        for name in self.FIELDS:
            getattr(self, name).data = getattr(affiliate, name) or ""

    def typed(self):
        return {name: getattr(self, name).data or "" for name in self.FIELDS}

    def show(self, errors):
        for name in self.FIELDS:
            if name in errors:
                getattr(self, name).errors = [errors[name]]
