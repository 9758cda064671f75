from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, Regexp
from wtforms.widgets import PasswordInput

REQUIRED = "Este campo es obligatorio."


class PasswordLoginForm(FlaskForm):
    username = StringField("Usuario", validators=[DataRequired(REQUIRED), Length(max=120)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField("Contraseña", validators=[DataRequired(REQUIRED), Length(max=128)],
                             render_kw={"autocomplete": "current-password"})


class HannaLoginForm(PasswordLoginForm):
    username = EmailField("Email", validators=[DataRequired(REQUIRED), Length(max=254)],
                          render_kw={"autocomplete": "email", "inputmode": "email"})


class CedulaForm(FlaskForm):
    cedula = StringField(
        "Cédula de Ciudadanía",
        validators=[DataRequired("Escriba su número de cédula."),
                    Regexp(r"^\s*[\d.\s]{5,14}\s*$", message="Escriba solo los números de su cédula (5 a 10 dígitos).")],
        render_kw={"inputmode": "numeric", "autocomplete": "username", "pattern": "[0-9. ]*",
                   "maxlength": 14},
    )


class CodeForm(FlaskForm):
    code = StringField(
        "Código de verificación",
        validators=[DataRequired("Escriba el código que recibió por mensaje de texto."),
                    Regexp(r"^\s*\d{6}\s*$", message="El código tiene 6 números.")],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*",
                   "maxlength": 6},
    )


class ChangePasswordForm(FlaskForm):
    """A refused change comes back with what was typed (the page is never cached), so
    the rules list and the fields agree; only a wrong current password is cleared."""
    current_password = PasswordField("Contraseña actual", validators=[DataRequired(REQUIRED)],
                                     widget=PasswordInput(hide_value=False),
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField("Contraseña nueva", validators=[DataRequired(REQUIRED), Length(max=128)],
                                 widget=PasswordInput(hide_value=False),
                                 render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField("Confirma la contraseña", validators=[DataRequired(REQUIRED)],
                                     widget=PasswordInput(hide_value=False),
                                     render_kw={"autocomplete": "new-password"})

    def clear_current(self):
        self.current_password.data, self.current_password.raw_data = "", []


class TermsForm(FlaskForm):
    accept = BooleanField("He leído y acepto los términos y condiciones de uso",
                          validators=[DataRequired("Debe aceptar los términos y condiciones para continuar.")])


class RecoveryForm(FlaskForm):
    username = StringField("Usuario", validators=[DataRequired(REQUIRED), Length(max=120)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    nit = StringField("NIT de la empresa",
                      validators=[DataRequired(REQUIRED), Regexp(r"^\s*[\d.]{5,19}(-\d)?\s*$",
                                                              message="Escriba el NIT de la empresa, con o sin el dígito de verificación (900291499-3).")],
                      render_kw={"inputmode": "numeric"})
    email = EmailField("Correo electrónico",
                       validators=[DataRequired(REQUIRED), Email("Escriba un correo electrónico válido.")],
                       render_kw={"autocomplete": "email"})



class UsernameRecoveryForm(FlaskForm):
    """Manual 004, ch. 1 II: the user name(s) of an e-mail address in a company."""
    nit = RecoveryForm.nit
    email = RecoveryForm.email