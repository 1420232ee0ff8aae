"""Sending e-mail through the SMTP server the environment names (config: SMTP_*).

Only the digest command sends, never a request: a server that is down or slow must never fail
or slow a step (the notification is already in the list; the e-mail waits for the next run).
"""
import smtplib
from email.message import EmailMessage
from email.utils import formataddr


def configured(config) -> bool:
    return bool(config.get("SMTP_HOST"))


def send(config, to: str, subject: str, text: str) -> None:
    """One plain-text message; raises OSError / smtplib.SMTPException when it cannot be sent."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr(("考核流", config.get("SMTP_FROM") or "kaohe-flow@localhost"))
    message["To"] = to
    message.set_content(text)
    with smtplib.SMTP(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25),
                      timeout=int(config.get("SMTP_TIMEOUT") or 20)) as smtp:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
        smtp.send_message(message)
