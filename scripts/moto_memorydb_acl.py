"""MemoryDB access control lists for the emulator (imported by moto_server.py).

moto 5 implements MemoryDB clusters, subnet groups, users and snapshots but
no ACL API (CreateACL, DescribeACLs, UpdateACL, DeleteACL answer with a 500
HTML page), and a TLS cluster on AWS authenticates through an ACL. This
launcher adds those four operations to moto's MemoryDB backend, following
the AWS API reference (names unique, users must exist, an ACL in use by a
cluster cannot be deleted, the built-in `open-access` ACL, tags through
ListTags/TagResource). Importing this module applies the patch; everything
else is moto as released. Remove it once moto implements the ACL API.
"""

import json
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.memorydb import models, responses


class _Fault(JsonRESTError):
    code = 400


class MemoryDBACL:
    def __init__(self, backend: Any, name: str, user_names: list[str]):
        self.name = name
        self.user_names = list(user_names)
        self.status = "active"
        self.arn = f"arn:aws:memorydb:{backend.region_name}:{backend.account_id}:acl/{name}"

    def to_dict(self, backend: Any) -> dict[str, Any]:
        return {
            "Name": self.name,
            "Status": self.status,
            "UserNames": self.user_names,
            "MinimumEngineVersion": "6.2",
            "Clusters": [
                c.cluster_name for c in backend.clusters.values() if c.acl_name == self.name
            ],
            "ARN": self.arn,
        }


def _acls(backend: Any) -> dict[str, MemoryDBACL]:
    if not hasattr(backend, "_gantry_acls"):
        # AWS's built-in ACL, admitting the default user (no password).
        backend._gantry_acls = {"open-access": MemoryDBACL(backend, "open-access", ["default"])}
    return backend._gantry_acls


def _check_users(backend: Any, names: list[str]) -> None:
    for n in names:
        if n not in backend.users:
            raise _Fault("UserNotFoundFault", f"User {n} not found.")


_list_arns = models.MemoryDBBackend._list_arns


def _list_arns_with_acls(self: Any) -> list[str]:
    return _list_arns(self) + [a.arn for a in _acls(self).values()]


def create_acl(self: Any) -> ActionResult:
    p = json.loads(self.body)
    b = self.memorydb_backend
    name = p.get("ACLName")
    if name in _acls(b):
        raise _Fault("ACLAlreadyExistsFault", f"ACL {name} already exists.")
    users = p.get("UserNames") or []
    _check_users(b, users)
    acl = MemoryDBACL(b, name, users)
    _acls(b)[name] = acl
    if p.get("Tags"):
        b.tag_resource(acl.arn, p["Tags"])
    return ActionResult({"ACL": acl.to_dict(b)})


def describe_acls(self: Any) -> ActionResult:
    p = json.loads(self.body)
    b = self.memorydb_backend
    name = p.get("ACLName")
    if name:
        if name not in _acls(b):
            raise _Fault("ACLNotFoundFault", f"ACL {name} not found.")
        found = [_acls(b)[name]]
    else:
        found = list(_acls(b).values())
    return ActionResult({"ACLs": [a.to_dict(b) for a in found]})


def update_acl(self: Any) -> ActionResult:
    p = json.loads(self.body)
    b = self.memorydb_backend
    name = p.get("ACLName")
    if name not in _acls(b):
        raise _Fault("ACLNotFoundFault", f"ACL {name} not found.")
    acl = _acls(b)[name]
    add = p.get("UserNamesToAdd") or []
    _check_users(b, add)
    remove = p.get("UserNamesToRemove") or []
    acl.user_names = [u for u in acl.user_names if u not in remove]
    acl.user_names += [u for u in add if u not in acl.user_names]
    return ActionResult({"ACL": acl.to_dict(b)})


def delete_acl(self: Any) -> ActionResult:
    p = json.loads(self.body)
    b = self.memorydb_backend
    name = p.get("ACLName")
    if name not in _acls(b):
        raise _Fault("ACLNotFoundFault", f"ACL {name} not found.")
    if name == "open-access":
        raise _Fault("InvalidParameterValueException", "open-access cannot be deleted.")
    if any(c.acl_name == name for c in b.clusters.values()):
        raise _Fault("InvalidACLStateFault", f"ACL {name} is in use by a cluster.")
    acl = _acls(b).pop(name)
    return ActionResult({"ACL": acl.to_dict(b)})


models.MemoryDBBackend._list_arns = _list_arns_with_acls
responses.MemoryDBResponse.create_acl = create_acl
# moto turns `DescribeACLs` into this method name.
responses.MemoryDBResponse.describe_ac_ls = describe_acls
responses.MemoryDBResponse.update_acl = update_acl
responses.MemoryDBResponse.delete_acl = delete_acl
