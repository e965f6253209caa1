"""S3 bucket policies that deny requests without TLS, as AWS evaluates them.

Gap: moto checks a bucket's policy on every object request but evaluates
conditions without the request's context, and a statement whose condition
it cannot meet denies outright. So the standard TLS-only statement
(`Deny s3:*` when `aws:SecureTransport` is `false`) denies every object
request, though AWS applies it to plain-HTTP requests only. The emulator
stands in for AWS's HTTPS endpoints (it is plain HTTP on loopback only
because it is local), so such statements never apply here: they are left
out of the evaluation. Every other statement is evaluated as moto does.
"""

import json

from moto.s3.models import FakeBucket

_get_permission = FakeBucket.get_permission


def _denies_plain_http_only(statement):
    cond = statement.get("Condition") or {}
    return (
        statement.get("Effect") == "Deny"
        and list(cond) == ["Bool"]
        and list(cond["Bool"]) == ["aws:SecureTransport"]
        and str(cond["Bool"]["aws:SecureTransport"]).lower() == "false"
    )


def get_permission(self, action, resource):
    if self.policy is None:
        return _get_permission(self, action, resource)
    doc = json.loads(self.policy.decode())
    statements = doc.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    kept = [s for s in statements or [] if not _denies_plain_http_only(s)]
    if len(kept) == len(statements or []):
        return _get_permission(self, action, resource)
    saved = self.policy
    try:
        self.policy = json.dumps({**doc, "Statement": kept}).encode()
        return _get_permission(self, action, resource)
    finally:
        self.policy = saved


FakeBucket.get_permission = get_permission
