"""Cognito user pools and HTTP API authorizers as AWS answers for them
(imported by moto_server.py, after moto_tagging.py).

Checked against moto 5.2.6; each gap is filled the way the AWS API
references describe:

- Resource Groups Tagging API: AWS lists user pools
  (`arn:PARTITION:cognito-idp:REGION:ACCOUNT:userpool/ID`, type
  `cognito-idp:userpool`) with their `UserPoolTags`; moto lists no Cognito
  resource. Added as one more source of `moto_tagging`'s listing.
- DescribeUserPool answers the `MfaConfiguration` the pool was created
  with, not the one SetUserPoolMfaConfig set since (AWS answers the
  current one).
- UpdateUserPool resets the whole pool to moto's defaults plus what the
  call passes, so a pool loses its `UsernameAttributes` (sign-in by email),
  `AliasAttributes`, `UsernameConfiguration`, schema and tags. AWS's
  UpdateUserPool cannot change those (they are set at create, tags by
  TagResource) and keeps them; so does this fix.
- DeleteUserPool deletes a pool whose `DeletionProtection` is `ACTIVE`;
  AWS refuses with `InvalidParameterException` ("The user pool cannot be
  deleted because deletion protection is activated. Deletion protection
  must be inactivated first.") until UpdateUserPool turns it off.
- API Gateway v2 `GetAuthorizers` (`GET /v2/apis/ID/authorizers`), which
  lists an API's authorizers: moto has GetAuthorizer for one id only.
  Added, one page holding them all (as moto's GetRoutes does).

Remove each fix once moto closes its gap.
"""

import json
from collections.abc import Iterator
from typing import Any

import moto_tagging
from moto.apigatewayv2.responses import ApiGatewayV2Response
from moto.cognitoidp.exceptions import InvalidParameterException
from moto.cognitoidp.models import CognitoIdpBackend

_set_mfa = CognitoIdpBackend.set_user_pool_mfa_config


def _set_user_pool_mfa_config(self: Any, user_pool_id: str, *args: Any, **kwargs: Any) -> Any:
    out = _set_mfa(self, user_pool_id, *args, **kwargs)
    pool = self.describe_user_pool(user_pool_id)
    pool.extended_config["MfaConfiguration"] = pool.mfa_config
    return out


CognitoIdpBackend.set_user_pool_mfa_config = _set_user_pool_mfa_config

# What UpdateUserPool cannot change: kept from the pool as it was.
_KEPT_ON_UPDATE = (
    "UsernameAttributes",
    "AliasAttributes",
    "UsernameConfiguration",
    "Schema",
    "UserPoolTags",
)
_update_pool = CognitoIdpBackend.update_user_pool


def _update_user_pool(self: Any, user_pool_id: str, extended_config: dict[str, Any]) -> None:
    pool = self.describe_user_pool(user_pool_id)
    kept = {k: pool.extended_config[k] for k in _KEPT_ON_UPDATE if k in pool.extended_config}
    kept_schema = dict(getattr(pool, "schema_attributes", {}) or {})
    _update_pool(self, user_pool_id, extended_config)
    for k, v in kept.items():
        if k == "UserPoolTags" and extended_config.get(k):
            continue
        pool.extended_config[k] = v
    if kept_schema:
        pool.schema_attributes = kept_schema


CognitoIdpBackend.update_user_pool = _update_user_pool

_delete_pool = CognitoIdpBackend.delete_user_pool


def _delete_user_pool(self: Any, user_pool_id: str) -> None:
    pool = self.describe_user_pool(user_pool_id)
    if pool.extended_config.get("DeletionProtection") == "ACTIVE":
        raise InvalidParameterException(
            "The user pool cannot be deleted because deletion protection is activated. "
            "Deletion protection must be inactivated first."
        )
    _delete_pool(self, user_pool_id)


CognitoIdpBackend.delete_user_pool = _delete_user_pool


def _cognitoidp(account_id: str, region: str) -> Iterator[Any]:
    from moto.cognitoidp.models import cognitoidp_backends

    b = moto_tagging._backend(cognitoidp_backends, account_id, region)
    if b is None:
        return

    def tags_of(pool: Any) -> dict[str, str]:
        return pool.extended_config.setdefault("UserPoolTags", {}) or {}

    def items() -> Iterator[tuple[str, str, dict[str, str]]]:
        for pool in b.user_pools.values():
            yield pool.arn, "cognito-idp:userpool", dict(tags_of(pool))

    def pool_of(arn: str) -> Any:
        return next(p for p in b.user_pools.values() if p.arn == arn)

    def tag(arn: str, tags: dict[str, str]) -> None:
        tags_of(pool_of(arn)).update(tags)

    def untag(arn: str, keys: list[str]) -> None:
        for k in keys:
            tags_of(pool_of(arn)).pop(k, None)

    yield moto_tagging._Source("cognito-idp", b, items, tag, untag)


moto_tagging._EXTRA_SOURCES = (*moto_tagging._EXTRA_SOURCES, _cognitoidp)


def _get_authorizers(self: Any) -> Any:
    api_id = self.path.rstrip("/").split("/")[-2]
    api = self.apigatewayv2_backend.get_api(api_id)
    items = [a.to_json() for a in api.authorizers.values()]
    return 200, {}, json.dumps({"items": items})


ApiGatewayV2Response.get_authorizers = _get_authorizers
