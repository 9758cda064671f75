"""`python -m tests.recording_worker [worker.py's arguments]`: worker.py whose SMS and
e-mail adapters stand for the providers and write down, one JSON line per message in the
file $RECORDED_MESSAGES ([channel, recipient, SMS text or e-mail subject]), what they
were handed, so that a test counts across processes what a provider would have received."""
import json
import os
import sys

import worker
from portal.adapters import mail, sms


def record(channel, to, what):
    with open(os.environ["RECORDED_MESSAGES"], "a") as out:  # one short append: whole lines
        out.write(json.dumps([channel, to, what]) + "\n")


class RecordingSms:
    def send(self, to, text):
        record("sms", to, text)


class RecordingMailer:
    def send(self, to, subject, body, attachments=()):
        record("email", to, subject)


sms.ADAPTERS["outbox"] = RecordingSms
mail.OutboxOnlyMailer = RecordingMailer  # mailer_for's choice without SMTP_HOST

if __name__ == "__main__":
    sys.exit(worker.main())
