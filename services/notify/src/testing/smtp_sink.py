"""An aiosmtpd handler for the SMTP transport tests.

Run as `python -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.Sink DIR`
(with this directory on PYTHONPATH). Each message received is written to
DIR as `<n>.eml` (the raw message) and `<n>.json` (the envelope, the
headers and each MIME part decoded), the JSON last, so a reader that sees
it sees a whole message.

Recipients whose local part is `refused` are answered 550 (no such user),
`busy` 451 (try again later).
"""

import email
import email.policy
import itertools
import json
import os


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("Sink takes the directory to write messages to")
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local == "refused":
            return "550 5.1.1 No such user here"
        if local == "busy":
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        n = next(self.counter)
        base = os.path.join(self.directory, str(n))
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True) or b""
            parts.append(
                {
                    "content_type": part.get("Content-Type", ""),
                    "filename": part.get_filename(),
                    "disposition": part.get_content_disposition(),
                    "text": payload.decode(part.get_content_charset() or "utf-8", "replace"),
                }
            )
        summary = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {k: str(v) for k, v in msg.items()},
            "parts": parts,
        }
        tmp = base + ".json.tmp"
        with open(tmp, "w") as f:
            json.dump(summary, f)
        os.rename(tmp, base + ".json")
        return "250 Message accepted for delivery"
