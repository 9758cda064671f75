from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField


class DecisionForm(FlaskForm):
    """Aprobar / Rechazar a request: the clicked button sends decision=approve|reject.
    staff_queue.decide checks the decision and the note and says what is wrong."""

    decision = StringField()
    note = TextAreaField("Observación")
    back = HiddenField()  # the filtered list to return to without JavaScript
