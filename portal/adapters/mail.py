"""E-mail: real SMTP when SMTP_HOST is set; the outbox row is kept either way."""
import smtplib
from email.message import EmailMessage


class SmtpMailer:
    def __init__(self, config):
        self.config = config

    def send(self, to, subject, body, attachments=()):
        """`attachments`: (file name, content type, bytes) triples."""
        message = EmailMessage()
        message["From"] = self.config["MAIL_FROM"]
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        for filename, content_type, content in attachments:
            maintype, _, subtype = (content_type or "application/octet-stream").partition("/")
            message.add_attachment(bytes(content), maintype=maintype, subtype=subtype or "octet-stream",
                                   filename=filename)
        with smtplib.SMTP(self.config["SMTP_HOST"], self.config["SMTP_PORT"], timeout=20) as smtp:
            if self.config.get("SMTP_STARTTLS"):
                smtp.starttls()
            if self.config.get("SMTP_USER"):
                smtp.login(self.config["SMTP_USER"], self.config["SMTP_PASSWORD"])
            smtp.send_message(message)


class OutboxOnlyMailer:
    """Development: the message stays in the outbox, readable at /dev/outbox."""

    def send(self, to, subject, body, attachments=()):
        return None


def mailer_for(config):
    return SmtpMailer(config) if config.get("SMTP_HOST") else OutboxOnlyMailer()
