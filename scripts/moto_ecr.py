"""ECR repository URIs that name a local registry (imported by moto_server.py).

moto's ECR stores repositories and image manifests but serves no registry
API (no /v2/ endpoints to push to), and every `repositoryUri` names
`ACCOUNT.dkr.ecr.REGION.amazonaws.com`, which a test cannot reach. A test
that builds and pushes an image runs a registry of its own
(scripts/registry.sh) and points repositories at it:

    POST /moto-api/gantry/ecr-registry
    {"prefix": "<repository name prefix>", "registry": "127.0.0.1:PORT"}

Repositories whose name starts with the prefix (the longest matching
prefix wins) then answer `repositoryUri` `127.0.0.1:PORT/<name>` in
CreateRepository and DescribeRepositories, those created before the call
too; others keep moto's URI, so tests sharing one emulator each use their
stack name as prefix. `"registry": null` removes a prefix. The
authorization token (GetAuthorizationToken) is moto's (user `AWS`); its
`proxyEndpoint` still names the AWS host, so a client logs in to the host
of the repository URI.
"""

import json
import threading
from typing import Any

import moto.moto_api._internal.urls as moto_api_urls
from moto.ecr.models import Repository

_LOCK = threading.Lock()
_REGISTRIES: dict[str, str] = {}  # repository name prefix -> host:port


def _uri(self: Any) -> str:
    with _LOCK:
        matches = [p for p in _REGISTRIES if self.name.startswith(p)]
        if matches:
            return f"{_REGISTRIES[max(matches, key=len)]}/{self.name}"
    return self.__dict__.get("_moto_uri", "")


def _set_uri(self: Any, value: str) -> None:
    self.__dict__["_moto_uri"] = value


# moto sets `uri` in Repository.__init__ and serializes it as repositoryUri.
Repository.uri = property(_uri, _set_uri)


def set_registry(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    """POST /moto-api/gantry/ecr-registry."""
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError as e:
        return 400, {}, json.dumps({"error": f"body is not JSON: {e}"})
    prefix, registry = body.get("prefix"), body.get("registry")
    if not isinstance(prefix, str) or not prefix:
        return 400, {}, json.dumps({"error": "prefix is a non-empty string"})
    if registry is not None and (not isinstance(registry, str) or not registry or "/" in registry):
        return 400, {}, json.dumps({"error": "registry is host:port (or null to remove the prefix)"})
    with _LOCK:
        if registry is None:
            _REGISTRIES.pop(prefix, None)
        else:
            _REGISTRIES[prefix] = registry
    return 200, {"Content-Type": "application/json"}, json.dumps({"prefix": prefix, "registry": registry})


moto_api_urls.url_paths["{0}/moto-api/gantry/ecr-registry"] = set_registry
