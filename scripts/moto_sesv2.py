"""SES v2 email identities as AWS answers for them (imported by moto_server.py).

Checked against moto 5.2.6; each gap is filled the way the SES v2 API
reference (`CreateEmailIdentity`, `GetEmailIdentity`,
`PutEmailIdentityMailFromAttributes`) describes:

- DKIM tokens: for a domain identity with Easy DKIM, AWS answers
  `DkimAttributes.Tokens`, the three tokens whose CNAME records
  (`TOKEN._domainkey.DOMAIN` → `TOKEN.dkim.amazonses.com`) the domain owner
  publishes; moto answers none. Here each domain gets three deterministic
  32-character tokens (the same domain, the same tokens, as a test needs).
- `DkimAttributes.LastKeyGenerationTimestamp`: moto answers an ISO 8601
  string; the REST-JSON protocol of SES v2 carries timestamps as epoch
  seconds (a number), and the AWS SDKs refuse the string.
- A second CreateEmailIdentity of an existing identity: AWS refuses it with
  `AlreadyExistsException`; moto replaces the identity.
- Custom MAIL FROM domain: moto has no PutEmailIdentityMailFromAttributes
  (`PUT /v2/email/identities/ID/mail-from`, a 404) and GetEmailIdentity
  answers no `MailFromAttributes`. Added: the domain must be a subdomain of
  the identity (`BadRequestException` otherwise), no domain removes it, and
  its status is `SUCCESS` (the emulator does not look up its MX record).
- Resource Groups Tagging API: AWS names an identity
  `arn:PARTITION:ses:REGION:ACCOUNT:identity/NAME`, type `ses:identity`;
  moto lists `email-identity/NAME`, type `ses:email-identity`.

Remove each fix once moto closes its gap.
"""

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from moto.core.common_models import BaseModel  # noqa: F401  (moto's models load first)
from moto.core.exceptions import JsonRESTError
from moto.core.resource_tagging import TaggedResource
from moto.ses import models as ses_models
from moto.sesv2 import urls as sesv2_urls
from moto.sesv2.models import SESV2Backend
from moto.sesv2.responses import SESV2Response


class _AlreadyExists(JsonRESTError):
    def __init__(self, name: str):
        super().__init__("AlreadyExistsException", f"Email identity {name} already exist.")


class _BadRequest(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("BadRequestException", message)


class _NotFound(JsonRESTError):
    code = 404

    def __init__(self, name: str):
        super().__init__("NotFoundException", f"Email identity {name} does not exist.")


def dkim_tokens(domain: str) -> list[str]:
    """Three tokens per domain, shaped like SES's (32 lowercase letters and digits)."""
    return [hashlib.sha256(f"{domain}#{i}".encode()).hexdigest()[:32] for i in range(3)]


_create = ses_models.SESBackend.create_email_identity_v2


def _create_email_identity_v2(self: Any, email_identity: str, *args: Any, **kwargs: Any) -> Any:
    if email_identity in self.email_identities:
        raise _AlreadyExists(email_identity)
    identity = _create(self, email_identity, *args, **kwargs)
    if identity.identity_type == "DOMAIN" and identity.dkim_attributes.get("SigningEnabled"):
        identity.dkim_attributes["Tokens"] = dkim_tokens(email_identity)
    if "LastKeyGenerationTimestamp" in identity.dkim_attributes:
        identity.dkim_attributes["LastKeyGenerationTimestamp"] = round(time.time(), 3)
    return identity


ses_models.SESBackend.create_email_identity_v2 = _create_email_identity_v2

_response_object = ses_models.EmailIdentity.get_response_object


def _get_response_object(self: Any) -> dict[str, Any]:
    out = dict(_response_object.fget(self))  # type: ignore[attr-defined]
    mail_from = getattr(self, "_gantry_mail_from", None)
    if mail_from:
        out["MailFromAttributes"] = mail_from
    return out


ses_models.EmailIdentity.get_response_object = property(_get_response_object)  # type: ignore[assignment]


def _put_email_identity_mail_from_attributes(self: Any) -> str:
    # /v2/email/identities/ID/mail-from
    name = unquote(self.path.rstrip("/").split("/")[-2])
    backend = self.sesv2_backend.core_backend
    identity = backend.email_identities.get(name)
    if identity is None:
        raise _NotFound(name)
    body = json.loads(self.body or "{}")
    domain = body.get("MailFromDomain")
    if not domain:
        identity._gantry_mail_from = None
        return json.dumps({})
    if not domain.endswith("." + name):
        raise _BadRequest(f"Mail-from domain {domain} is not a subdomain of {name}.")
    identity._gantry_mail_from = {
        "MailFromDomain": domain,
        "MailFromDomainStatus": "SUCCESS",
        "BehaviorOnMxFailure": body.get("BehaviorOnMxFailure") or "USE_DEFAULT_VALUE",
    }
    return json.dumps({})


SESV2Response.put_email_identity_mail_from_attributes = _put_email_identity_mail_from_attributes
# moto's catch-all `/v2/.*` is no pattern for its Flask app: name the path.
sesv2_urls.url_paths["{0}/v2/email/identities/(?P<EmailIdentity>[^/]+)/mail-from$"] = SESV2Response.dispatch

_iter = SESV2Backend.iter_tagged_resources


def _iter_tagged_resources(self: Any) -> Iterator[TaggedResource]:
    for r in _iter(self):
        if r.resource_type == "ses:email-identity":
            r.resource_type = "ses:identity"
            r.arn = r.arn.replace(":email-identity/", ":identity/", 1)
        yield r


SESV2Backend.iter_tagged_resources = _iter_tagged_resources
