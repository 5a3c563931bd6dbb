"""``flask doctor``'s mail checks: each relay and the DKIM key.

A relay is greeted as a worker would greet it (TLS as ``MAIL_SERVER``'s settings or the
``MAIL_ROUTES`` entry say, the certificate checked against the system's CAs or ``MAIL_CA_FILE``,
the login), then asked for nothing but NOOP and QUIT: no mail is sent. The DKIM key is compared
with the record published at ``<selector>._domainkey.<domain>`` when DNS answers.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
from pathlib import Path

from flask import current_app

from .checks import ERROR, OK, SKIPPED, WARNING, Check
from ..mailing.delivery import Relay, default_relay, settings

#: Seconds a relay or DNS may take to answer before it counts as unreachable.
TIMEOUT = 10
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def relays() -> list[tuple[str, Relay]]:
    """Each relay mail may go through, once, with the setting that names it."""
    seen: dict[Relay, str] = {default_relay(): "MAIL_SERVER"}
    for domain, relay in settings().routes:
        if relay not in seen:
            seen[relay] = f"MAIL_ROUTES ({domain})"
    return [(where, relay) for relay, where in seen.items()]


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=current_app.config.get("MAIL_CA_FILE") or None)


def relay_check(where: str, relay: Relay) -> Check:
    """Connect, start TLS, log in, QUIT: what would stop a worker from sending, in words."""
    name = f"relay {relay.name}"
    hostname = socket.gethostname().split(".")[0] or "localhost"
    try:
        if relay.ssl:
            smtp = smtplib.SMTP_SSL(relay.host, relay.port, local_hostname=hostname, timeout=TIMEOUT,
                                    context=_tls_context())
        else:
            smtp = smtplib.SMTP(relay.host, relay.port, local_hostname=hostname, timeout=TIMEOUT)
    except ssl.SSLCertVerificationError as error:
        return _certificate_error(name, where, relay, error)
    except (OSError, smtplib.SMTPException) as error:
        return Check(name, ERROR,
                     f"The relay {relay.name} ({where}) cannot be reached: {_reason(error)}. Check the host "
                     f"name and port, and that a firewall lets this host through.")
    try:
        smtp.ehlo()
        if relay.starttls:
            if not smtp.has_extn("starttls"):
                return Check(name, ERROR,
                             f"The relay {relay.name} ({where}) does not offer STARTTLS. Use the port that "
                             f"does (usually 587), or smtps:// / MAIL_USE_SSL for port 465.")
            smtp.starttls(context=_tls_context())
            smtp.ehlo()
        if relay.username:
            if not relay.password:
                return Check(name, ERROR, f"{where} names the user {relay.username} but no password.")
            if not smtp.has_extn("auth"):
                return Check(name, ERROR,
                             f"The relay {relay.name} ({where}) offers no login (AUTH), but a user is set. "
                             f"It may offer it only after TLS: turn on STARTTLS (MAIL_USE_TLS=1 or "
                             f"?starttls=1), or remove the user if the relay lets this host send without one.")
            smtp.login(relay.username, relay.password)
        smtp.noop()
    except ssl.SSLCertVerificationError as error:
        return _certificate_error(name, where, relay, error)
    except smtplib.SMTPAuthenticationError as error:
        return Check(name, ERROR,
                     f"The relay {relay.name} ({where}) refused the login of {relay.username}: "
                     f"{_reason(error)}. Check the user name and password.")
    except (OSError, smtplib.SMTPException) as error:
        return Check(name, ERROR, f"The relay {relay.name} ({where}) broke off the conversation: {_reason(error)}.")
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    if relay.username and not (relay.ssl or relay.starttls) and relay.host not in _LOOPBACK:
        return Check(name, WARNING,
                     f"The relay {relay.name} ({where}) accepted the login, but without TLS: the password "
                     f"crosses the network in clear. Turn on STARTTLS (MAIL_USE_TLS=1 or ?starttls=1).")
    how = "over TLS" if relay.ssl or relay.starttls else "without TLS"
    login = f", login of {relay.username} accepted" if relay.username else ""
    return Check(name, OK, f"The relay {relay.name} ({where}) answers {how}{login}; no mail was sent.")


def _certificate_error(name: str, where: str, relay: Relay, error: ssl.SSLCertVerificationError) -> Check:
    return Check(name, ERROR,
                 f"The certificate of the relay {relay.name} ({where}) is not valid: "
                 f"{error.verify_message or error}. Use the host name the certificate is issued to; a relay "
                 f"with its own CA needs MAIL_CA_FILE=/path/to/ca.pem.")


def _reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{error.smtp_code} {text}".strip()
    if isinstance(error, socket.timeout):
        return f"no answer within {TIMEOUT} seconds"
    return str(error) or type(error).__name__


def relay_checks() -> list[Check]:
    return [relay_check(where, relay) for where, relay in relays()]


def _published_key(resolver, selector: str, domain: str):
    """The public key of the DKIM record ``selector._domainkey.domain`` as (modulus, exponent),
    ``""`` for a revoked record, or None when nothing is published; raises dns errors when DNS
    does not answer."""
    import dns.resolver
    from dkim.crypto import parse_public_key

    name = f"{selector}._domainkey.{domain}"
    try:
        answer = resolver.resolve(name, "TXT", lifetime=TIMEOUT)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    for record in answer:
        text = b"".join(record.strings).decode(errors="replace")
        tags = dict(part.strip().split("=", 1) for part in text.split(";") if "=" in part)
        if "p" not in tags:
            continue
        key = "".join(tags["p"].split())
        if not key:
            return ""
        parsed = parse_public_key(base64.b64decode(key))
        return parsed["modulus"], parsed["publicExponent"]
    return None


def dkim_checks(resolver=None) -> list[Check]:
    """The DKIM key file is readable and, where DNS answers, matches the published record."""
    config = current_app.config
    if not config.get("DKIM_DOMAIN"):
        return [Check("dkim", WARNING,
                      "Mail is not DKIM-signed: large providers (Gmail, QQ Mail) may file it as spam. Set "
                      "DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE (docs/operations.md says how).")]
    from dkim.crypto import UnparsableKeyError, parse_pem_private_key

    path = Path(config["DKIM_PRIVATE_KEY_FILE"])
    selector, domain = config["DKIM_SELECTOR"], config["DKIM_DOMAIN"]
    try:
        private = parse_pem_private_key(path.read_bytes())
    except OSError as error:
        return [Check("dkim", ERROR, f"DKIM_PRIVATE_KEY_FILE {path} cannot be read: {error.strerror}. "
                                     f"Let the service's user read it (chown, chmod 640).")]
    except UnparsableKeyError:
        return [Check("dkim", ERROR, f"DKIM_PRIVATE_KEY_FILE {path} holds no unencrypted RSA private key.")]
    name = f"{selector}._domainkey.{domain}"
    publish = (f"publish a TXT record {name} with \"v=DKIM1; k=rsa; p=…\", where … is the output of "
               f"`openssl rsa -in {path} -pubout -outform der | base64 -w0`")
    import dns.exception
    import dns.resolver

    try:
        published = _published_key(resolver or dns.resolver.Resolver(), selector, domain)
    except (dns.exception.DNSException, OSError, ValueError) as error:
        return [Check("dkim", SKIPPED,
                      f"The DKIM key {path} is readable; DNS did not answer for {name} "
                      f"({type(error).__name__}), so it was not compared with the published record.")]
    if published is None:
        return [Check("dkim", ERROR, f"No DKIM record is published at {name}: receivers cannot check the "
                                     f"signature. To fix it, {publish}.")]
    if published == "":
        return [Check("dkim", ERROR, f"The DKIM record at {name} is revoked (empty p=). {publish[0].upper()}"
                                     f"{publish[1:]}, or use the selector of the new key.")]
    if published != (private["modulus"], private["publicExponent"]):
        return [Check("dkim", ERROR, f"The DKIM record at {name} does not match {path}: receivers would reject "
                                     f"every signature. Either {publish}, or point DKIM_PRIVATE_KEY_FILE at the "
                                     f"key that belongs to the record.")]
    return [Check("dkim", OK, f"The DKIM key {path} matches the record published at {name}.")]
