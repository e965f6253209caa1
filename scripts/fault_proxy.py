#!/usr/bin/env python3
"""A reverse proxy in front of the local AWS emulator that behaves like a
busy AWS account: it throttles calls and loses replies after a call took
effect, protocol-correctly, and counts calls. Standard library only.

    python fault_proxy.py --upstream http://127.0.0.1:MOTO_PORT \
        [--host 127.0.0.1] [--port 0] [--port-file FILE] [--owner-pid PID] [--verbose]

`scripts/emulator.sh start` runs it in front of moto and points
AWS_ENDPOINT_URL (and GANTRY_FAULT_PROXY) at it. Without a fault profile it
only forwards and counts.

Everything is scoped per AWS access key id, taken from the SigV4
`Authorization: ... Credential=AKID/DATE/REGION/SERVICE/aws4_request` (or a
presigned URL's `X-Amz-Credential`): tests running in parallel against one
emulator each use their own key, and a profile for one key never touches
another. Control API (answered here, never forwarded):

    POST /_faults/profile   {"access_key": "K", "seed": 7, "throttle": 0.2,
                             "lose_mutating": 0.05, "match": ["ec2:Create*"]}
        Sets K's profile (rates default to 0, seed to 0, match to every
        call; `match` takes fnmatch patterns on "service:Operation").
        Restarts K's random sequence; keeps its counts.
    GET  /_faults/stats?access_key=K
        {"access_key": "K", "calls": {"ec2:DescribeVpcs": 3, ...},
         "by_service": {"ec2": 3}, "total": N, "forwarded": f,
         "throttled": n, "lost": m, "faults": [{"index": i,
         "call": "ec2:CreateVpc", "fault": "throttle" | "lost"}, ...],
         "profile": {...} | null}
        `total` counts every call that reached the proxy for K, faults
        included; `forwarded` = total - throttled (lost calls did reach
        moto). Without access_key: {"keys": {K: stats, ...}}.
    POST /_faults/reset?access_key=K   clears K's counts and profile.
    GET  /_faults/health               200 once the proxy is serving.

Calls to /moto-api/ pass through uncounted.

Each call is named "service:Operation": the service is the credential
scope's (ec2, iam, elasticloadbalancing, ecs, logs, s3, route53,
cloudfront, apigateway, elasticfilesystem, wafv2, memorydb, tagging, ...);
the operation is `Action=` (query protocols, form body or query string),
`X-Amz-Target: Prefix.Operation` (JSON), the path's operation (Smithy RPC
v2 CBOR), or for REST protocols the operation whose HTTP binding in
botocore's service model (read from the venv's botocore/data, if present)
matches the method and path, else "METHOD /path" with ids as {id}.

Faults. Each call of a key with a profile draws two numbers from that
key's random.Random(seed), so a seed reproduces the sequence of faults for
the same sequence of calls:
- throttle (first number < throttle): not forwarded; answered with the
  service's throttling error (EC2 503 RequestLimitExceeded; other query
  services 400 Throttling; JSON 400 ThrottlingException; S3 503 SlowDown;
  Route53/CloudFront 400 Throttling; REST-JSON the service's declared
  throttling error, 429 TooManyRequestsException by default);
- lost reply (second number < lose_mutating, mutating calls only: an
  operation not starting with Describe/List/Get/Head/BatchGet/Lookup/
  Search/Query/Scan/Select, and for REST protocols a method other than
  GET/HEAD): forwarded, moto's answer discarded, and a 500 with the
  protocol's internal error sent instead (EC2 InternalError, query
  InternalFailure, JSON/REST-JSON the service's declared internal error or
  InternalFailure, S3 InternalError, Route53/CloudFront InternalFailure).
"""

import argparse
import fnmatch
import glob
import gzip
import http.client
import http.server
import importlib.util
import json
import os
import random
import re
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade", "expect",
}
# Request bodies up to this size are read whole (so a request can be resent
# on a fresh upstream connection); larger ones stream through.
BUFFER_LIMIT = 1 << 20
COPY_CHUNK = 1 << 16
MAX_FAULT_LOG = 10000

READ_PREFIXES = ("Describe", "List", "Get", "Head", "BatchGet", "Lookup", "Search", "Query", "Scan", "Select")

# ------------------------------------------------------------------ services

# The XML namespace of the query services' error responses.
QUERY_NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "rds": "http://rds.amazonaws.com/doc/2014-10-31/",
    "elasticache": "http://elasticache.amazonaws.com/doc/2015-02-02/",
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
    "sqs": "http://queue.amazonaws.com/doc/2012-11-05/",
    "monitoring": "http://monitoring.amazonaws.com/doc/2010-08-01/",
    "autoscaling": "http://autoscaling.amazonaws.com/doc/2011-01-01/",
    "cloudformation": "http://cloudformation.amazonaws.com/doc/2010-05-15/",
    "ses": "http://ses.amazonaws.com/doc/2010-12-01/",
}
ELB_NAMESPACES = {
    "2015-12-01": "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
    "2012-06-01": "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/",
}
# botocore model directories per signing name, where they differ.
MODEL_DIRS = {
    "elasticfilesystem": ["efs"],
    "apigateway": ["apigatewayv2", "apigateway"],
    "ses": ["sesv2", "ses"],
    "elasticloadbalancing": ["elbv2", "elb"],
    "monitoring": ["cloudwatch"],
    "tagging": ["resourcegroupstaggingapi"],
    "states": ["stepfunctions"],
    "execute-api": [],
}
REST_XML_SERVICES = {"s3", "route53", "cloudfront", "s3-control", "s3control"}
# Preference order among a service's declared errors.
THROTTLE_SHAPES = ("ThrottlingException", "TooManyRequestsException", "ThrottledException",
                   "RequestThrottledException", "Throttling")
INTERNAL_SHAPES = ("InternalServerException", "InternalServerError", "InternalServiceError",
                   "InternalServiceException", "InternalServiceErrorException", "InternalFailure",
                   "InternalErrorException", "InternalException", "ServerException",
                   "ServiceException", "KMSInternalException", "WAFInternalErrorException",
                   "InternalServerErrorException")


def _botocore_data() -> str | None:
    if os.environ.get("GANTRY_FAULT_PROXY_MODELS"):
        return os.environ["GANTRY_FAULT_PROXY_MODELS"]
    try:
        spec = importlib.util.find_spec("botocore")  # locates it, does not import it
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(list(spec.submodule_search_locations)[0], "data")


class Models:
    """botocore service models, loaded lazily, used read-only as data: the
    REST operations' HTTP bindings and each service's declared errors."""

    def __init__(self, data_dir: str | None):
        self.data_dir = data_dir
        self._lock = threading.Lock()
        self._models: dict[str, Any] = {}

    def get(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            if name in self._models:
                return self._models[name]
        model = self._load(name)
        with self._lock:
            self._models[name] = model
        return model

    def _load(self, name: str) -> dict[str, Any] | None:
        if not self.data_dir or not re.fullmatch(r"[a-z0-9-]+", name):
            return None
        files = sorted(glob.glob(os.path.join(self.data_dir, name, "*", "service-2.json*")))
        if not files:
            return None
        path = files[-1]
        try:
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rb") as f:
                raw = json.load(f)
        except (OSError, ValueError):
            return None
        ops = []
        for op_name, op in raw.get("operations", {}).items():
            binding = op.get("http") or {}
            if "method" not in binding or "requestUri" not in binding:
                continue
            regex, literal, greedy = _compile_uri(binding["requestUri"].partition("?")[0])
            query = {}
            for part in filter(None, binding["requestUri"].partition("?")[2].split("&")):
                k, _, v = part.partition("=")
                if k != "x-id":
                    query[k] = v or None
            ops.append((binding["method"], regex, query, (len(query), literal, -greedy), op_name))
        errors = {}
        for shape_name, shape in raw.get("shapes", {}).items():
            if shape.get("exception"):
                err = shape.get("error") or {}
                errors[shape_name] = {
                    "status": err.get("httpStatusCode"),
                    "code": err.get("code") or shape_name,
                    "fault": bool(shape.get("fault")) or (err.get("httpStatusCode") or 0) >= 500,
                    # the members' names on the wire
                    "members": {m.get("locationName", n) for n, m in (shape.get("members") or {}).items()},
                }
        return {"metadata": raw.get("metadata", {}), "ops": ops, "errors": errors}

    def candidates(self, service: str) -> list[dict[str, Any]]:
        out = []
        for name in MODEL_DIRS.get(service, [service]):
            model = self.get(name)
            if model is not None:
                out.append(model)
        return out


def _compile_uri(path: str) -> tuple[re.Pattern, int, int]:
    parts, literal, greedy, pos = [], 0, 0, 0
    for m in re.finditer(r"\{([^}]+)\}", path):
        parts.append(re.escape(path[pos:m.start()]))
        literal += m.start() - pos
        if m.group(1).endswith("+"):
            parts.append(".+")
            greedy += 1
        else:
            parts.append("[^/]+")
        pos = m.end()
    parts.append(re.escape(path[pos:]))
    literal += len(path) - pos
    tail = "" if path.endswith("/") else "/?"
    return re.compile("^" + "".join(parts) + tail + "$"), literal, greedy


def _protocol_of(model: dict[str, Any]) -> str:
    md = model["metadata"]
    protocols = md.get("protocols") or [md.get("protocol", "")]
    return protocols[0] if protocols else ""


_ID_SEGMENT = re.compile(r"(?=.*\d)[A-Za-z0-9._:%-]{6,}")
_VERSION_SEGMENT = re.compile(r"\d{4}-\d{2}-\d{2}|v\d+")


def normalise_path(path: str, service: str) -> str:
    segments = path.split("/")
    if service == "s3":
        named = ["", "{bucket}", "{key}"]
        return "/".join(named[: min(len(segments), 3)]) if len(segments) > 1 and segments[1] else "/"
    out = []
    for seg in segments:
        if _VERSION_SEGMENT.fullmatch(seg) or not _ID_SEGMENT.fullmatch(seg):
            out.append(seg)
        else:
            out.append("{id}")
    return "/".join(out)


# ------------------------------------------------------------------ calls


class Call:
    """What one request is: key, service, operation, protocol family."""

    __slots__ = ("key", "service", "operation", "family", "json_version", "mutating",
                 "query_version", "path", "method")

    def __init__(self) -> None:
        self.key = ""
        self.service = "unknown"
        self.operation = "unknown"
        self.family = "rest-json"  # ec2 | query | json | cbor | s3 | rest-xml | rest-json
        self.json_version = "1.1"
        self.mutating = False
        self.query_version = ""
        self.path = "/"
        self.method = "GET"

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"


_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]*/[^/]*/([^/,\s]+)/")


def identify(method: str, target: str, headers: Any, body: bytes | None, models: Models) -> Call:
    call = Call()
    call.method = method
    split = urlsplit(target)
    call.path = split.path or "/"
    query = parse_qsl(split.query, keep_blank_values=True)
    qdict = dict(query)
    auth = headers.get("Authorization", "")
    m = _CREDENTIAL.search(auth)
    if m is None and "X-Amz-Credential" in qdict:
        m = _CREDENTIAL.search("Credential=" + qdict["X-Amz-Credential"])
    if m is not None:
        call.key, call.service = unquote(m.group(1)), m.group(2)

    content_type = headers.get("Content-Type", "")
    amz_target = headers.get("X-Amz-Target")
    if headers.get("smithy-protocol", "").lower() == "rpc-v2-cbor":
        call.family = "cbor"
        call.operation = call.path.rstrip("/").rsplit("/", 1)[-1] or "unknown"
        call.mutating = not call.operation.startswith(READ_PREFIXES)
        return call
    if amz_target:
        call.family = "json"
        call.operation = amz_target.rsplit(".", 1)[-1]
        v = re.search(r"application/x-amz-json-(1\.[01])", content_type)
        call.json_version = v.group(1) if v else "1.1"
        call.mutating = not call.operation.startswith(READ_PREFIXES)
        return call
    params = {}
    if body is not None and content_type.startswith("application/x-www-form-urlencoded"):
        params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    action = params.get("Action") or qdict.get("Action")
    if action and call.service not in REST_XML_SERVICES:
        call.family = "ec2" if call.service == "ec2" else "query"
        call.operation = action
        call.query_version = params.get("Version") or qdict.get("Version") or ""
        call.mutating = not action.startswith(READ_PREFIXES)
        return call

    # REST protocols: the method decides what mutates.
    call.mutating = method not in ("GET", "HEAD")
    if call.service == "s3":
        call.family = "s3"
    elif call.service in REST_XML_SERVICES:
        call.family = "rest-xml"
    call.operation = _rest_operation(call, qdict, headers, models)
    return call


def _rest_operation(call: Call, qdict: dict[str, str], headers: Any, models: Models) -> str:
    if call.service == "s3" and qdict.get("x-id"):
        return qdict["x-id"]
    best: tuple | None = None
    names: list[str] = []
    for model in models.candidates(call.service):
        protocol = _protocol_of(model)
        if protocol.startswith("rest-xml") and call.family == "rest-json":
            call.family = "rest-xml"
        for method, regex, query, score, op_name in model["ops"]:
            if method != call.method or not regex.match(call.path):
                continue
            if any(k not in qdict or (v is not None and qdict[k] != v) for k, v in query.items()):
                continue
            if best is None or score > best:
                best, names = score, [op_name]
            elif score == best:
                names.append(op_name)
    if names:
        if len(names) > 1:  # S3 CopyObject and PutObject share a binding
            copy = "x-amz-copy-source" in headers
            names.sort(key=lambda n: ("Copy" in n) != copy)
        return names[0]
    return f"{call.method} {normalise_path(call.path, call.service)}"


# ------------------------------------------------------------------ faults


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _cbor_text(s: str) -> bytes:
    b = s.encode()
    n = len(b)
    if n < 24:
        head = bytes([0x60 | n])
    elif n < 256:
        head = bytes([0x78, n])
    else:
        head = bytes([0x79]) + n.to_bytes(2, "big")
    return head + b


def _cbor_map(d: dict[str, str]) -> bytes:
    return bytes([0xA0 | len(d)]) + b"".join(_cbor_text(k) + _cbor_text(v) for k, v in d.items())


def _declared(models: Models, call: Call, kind: str, family: str) -> tuple[str, int | None, set[str]] | None:
    """The error shape the service's model declares for `kind`."""
    prefer = THROTTLE_SHAPES if kind == "throttle" else INTERNAL_SHAPES
    for model in models.candidates(call.service):
        protocol = _protocol_of(model)
        if family in ("json", "cbor") and protocol not in ("json", "smithy-rpc-v2-cbor"):
            continue
        if family == "rest-json" and protocol != "rest-json":
            continue
        errors = model["errors"]
        for name in prefer:
            e = errors.get(name)
            if e is None:
                continue
            if kind == "internal" and not e["fault"]:
                continue
            return e["code"], e["status"], e["members"]
        if kind == "internal":  # e.g. CloudWatch's InternalServiceFault
            for name, e in sorted(errors.items()):
                if e["fault"] and "Internal" in name and "Tag" not in name:
                    return e["code"], e["status"], e["members"]
    return None


def fault_response(call: Call, kind: str, models: Models) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of a throttling ("throttle") or internal
    ("internal") error, as the call's service sends it."""
    rid = str(uuid.uuid4())
    throttle = kind == "throttle"
    family = call.family
    if family == "ec2":
        code, msg, status = (("RequestLimitExceeded", "Request limit exceeded.", 503) if throttle
                             else ("InternalError", "An internal error has occurred.", 500))
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                f"<Code>{code}</Code><Message>{msg}</Message></Error></Errors>"
                f"<RequestID>{rid}</RequestID></Response>")
        return status, [("Content-Type", "text/xml;charset=UTF-8")], body.encode()
    if family in ("query", "rest-xml"):
        if throttle:
            kind_, code, msg, status = "Sender", "Throttling", "Rate exceeded", 400
        else:
            kind_, code, msg, status = ("Receiver", "InternalFailure", "The request processing has failed "
                                        "because of an unknown error, exception or failure.", 500)
        ns = _namespace(call, models)
        xmlns = f' xmlns="{_xml_escape(ns)}"' if ns else ""
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse{xmlns}><Error><Type>{kind_}</Type>'
                f"<Code>{code}</Code><Message>{msg}</Message></Error>"
                f"<RequestId>{rid}</RequestId></ErrorResponse>")
        return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)], body.encode()
    if family == "s3":
        code, msg, status = (("SlowDown", "Please reduce your request rate.", 503) if throttle
                             else ("InternalError", "We encountered an internal error. Please try again.", 500))
        host_id = uuid.uuid4().hex
        headers = [("x-amz-request-id", rid), ("x-amz-id-2", host_id)]
        if call.method == "HEAD":
            return status, headers, b""
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{msg}</Message>'
                f"<RequestId>{rid}</RequestId><HostId>{host_id}</HostId></Error>")
        return status, [("Content-Type", "application/xml")] + headers, body.encode()
    declared = _declared(models, call, kind, family)
    if family in ("json", "cbor"):
        if throttle:
            code, status = "ThrottlingException", 400
            if call.service == "dynamodb":
                code = "com.amazonaws.dynamodb.v20120810#ThrottlingException"
            msg = "Rate exceeded"
        else:
            code = declared[0] if declared else "InternalFailure"
            status, msg = 500, "An internal error occurred."
        if family == "cbor":
            headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"),
                       ("x-amzn-RequestId", rid)]
            return status, headers, _cbor_map({"__type": code, "message": msg})
        headers = [("Content-Type", f"application/x-amz-json-{call.json_version}"), ("x-amzn-RequestId", rid)]
        return status, headers, json.dumps({"__type": code, "message": msg}).encode()
    # REST-JSON
    if declared:
        code, status, members = declared
    elif throttle:
        code, status, members = "TooManyRequestsException", 429, set()
    else:
        code, status, members = "InternalFailure", 500, set()
    status = status or (429 if throttle else 500)
    if throttle:
        msg = "Too Many Requests" if code == "TooManyRequestsException" else "Rate exceeded"
    else:
        msg = "An internal error occurred."
    payload = {"message": msg}
    if "Message" in members:
        payload = {"Message": msg}
    if "ErrorCode" in members:
        payload["ErrorCode"] = code
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", rid)]
    return status, headers, json.dumps(payload).encode()


def _namespace(call: Call, models: Models) -> str:
    if call.family == "rest-xml":
        version = call.path.strip("/").split("/", 1)[0]
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", version):
            version = {"route53": "2013-04-01", "cloudfront": "2020-05-31"}.get(call.service, version)
        if call.service == "route53":
            return f"https://route53.amazonaws.com/doc/{version}/"
        if call.service == "cloudfront":
            return f"http://cloudfront.amazonaws.com/doc/{version}/"
        return ""
    if call.service == "elasticloadbalancing":
        return ELB_NAMESPACES.get(call.query_version, ELB_NAMESPACES["2015-12-01"])
    if call.service in QUERY_NAMESPACES:
        return QUERY_NAMESPACES[call.service]
    for model in models.candidates(call.service):
        ns = model["metadata"].get("xmlNamespace")
        if ns:
            return ns
    return ""


# ------------------------------------------------------------------ state


class KeyState:
    def __init__(self, key: str):
        self.key = key
        self.profile: dict[str, Any] | None = None
        self.rng: random.Random | None = None
        self.clear()

    def clear(self) -> None:
        self.calls: Counter = Counter()
        self.by_service: Counter = Counter()
        self.total = self.forwarded = self.throttled = self.lost = 0
        self.faults: list[dict[str, Any]] = []

    def stats(self) -> dict[str, Any]:
        return {
            "access_key": self.key,
            "calls": dict(self.calls),
            "by_service": dict(self.by_service),
            "total": self.total,
            "forwarded": self.forwarded,
            "throttled": self.throttled,
            "lost": self.lost,
            "faults": list(self.faults),
            "profile": self.profile,
        }


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.keys: dict[str, KeyState] = {}

    def _key(self, key: str) -> KeyState:
        ks = self.keys.get(key)
        if ks is None:
            ks = self.keys[key] = KeyState(key)
        return ks

    def begin(self, call: Call) -> tuple[int, str | None]:
        """Counts the call; returns (its index for the key, the fault to inject)."""
        with self.lock:
            ks = self._key(call.key)
            ks.total += 1
            ks.calls[call.name] += 1
            ks.by_service[call.service] += 1
            index = ks.total
            fault = None
            if ks.profile is not None and ks.rng is not None:
                # Two draws per call, whatever the call, so the n-th call of
                # a seeded run always gets the n-th decision.
                t, lose = ks.rng.random(), ks.rng.random()
                patterns = ks.profile.get("match")
                eligible = not patterns or any(fnmatch.fnmatchcase(call.name, p) for p in patterns)
                if eligible and t < ks.profile["throttle"]:
                    fault = "throttle"
                elif eligible and call.mutating and lose < ks.profile["lose_mutating"]:
                    fault = "lost"
            if fault == "throttle":
                ks.throttled += 1
            else:
                ks.forwarded += 1
            if fault == "lost":
                ks.lost += 1
            if fault and len(ks.faults) < MAX_FAULT_LOG:
                ks.faults.append({"index": index, "call": call.name, "fault": fault})
            return index, fault

    def set_profile(self, body: dict[str, Any]) -> dict[str, Any]:
        key = body.get("access_key")
        if not isinstance(key, str) or not key:
            raise ValueError("access_key (a string) is required")
        profile = {"seed": body.get("seed", 0)}
        for rate in ("throttle", "lose_mutating"):
            value = float(body.get(rate, 0) or 0)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{rate} must be between 0 and 1")
            profile[rate] = value
        match = body.get("match")
        if match is not None:
            if not isinstance(match, list) or not all(isinstance(p, str) for p in match):
                raise ValueError("match must be a list of patterns")
            profile["match"] = match
        unknown = set(body) - {"access_key", "seed", "throttle", "lose_mutating", "match"}
        if unknown:
            raise ValueError(f"unknown fields: {sorted(unknown)}")
        with self.lock:
            ks = self._key(key)
            ks.profile = profile
            ks.rng = random.Random(profile["seed"])
            return ks.stats()

    def reset(self, key: str) -> None:
        with self.lock:
            self.keys.pop(key, None)

    def stats(self, key: str | None) -> dict[str, Any]:
        with self.lock:
            if key is None:
                return {"keys": {k: ks.stats() for k, ks in self.keys.items()}}
            ks = self.keys.get(key)
            return ks.stats() if ks else KeyState(key).stats()


# ------------------------------------------------------------------ server


class _Upstream(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gantry-fault-proxy"
    # Set on the class by serve().
    state: State
    models: Models
    upstream_host = "127.0.0.1"
    upstream_port = 0
    verbose = False

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._upstream: _Upstream | None = None

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self._upstream is not None:
                self._upstream.close()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.verbose:
            sys.stderr.write("%s %s\n" % (self.log_date_time_string(), format % args))

    def _note(self, message: str) -> None:
        sys.stderr.write(f"{time.strftime('%H:%M:%S')} {message}\n")
        sys.stderr.flush()

    # All methods go through one handler.
    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    # -------------------------------------------------------------- request

    def _read_chunked(self) -> bytes:
        out = bytearray()
        while True:
            line = self.rfile.readline(65537)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(out)
            out += self.rfile.read(size)
            self.rfile.readline(65537)

    def _handle(self) -> None:
        path = self.path
        if path.startswith("/_faults/"):
            return self._control()
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        length = int(self.headers.get("Content-Length") or 0)
        body: bytes | None
        if chunked:
            body = self._read_chunked()
            length = len(body)
        elif length <= BUFFER_LIMIT or self.headers.get("Content-Type", "").startswith(
                "application/x-www-form-urlencoded"):  # query protocols: Action= is in there
            body = self.rfile.read(length) if length else b""
        else:
            body = None  # streamed to moto below
        framed = chunked or "Content-Length" in self.headers
        if path.startswith("/moto-api"):
            return self._forward(body, length, framed, None, None)
        call = identify(self.command, path, self.headers, body, self.models)
        index, fault = self.state.begin(call)
        if fault == "throttle":
            if body is None:
                self._drain(length)
            self._note(f"throttled {call.key} #{index} {call.name}")
            return self._send(*fault_response(call, "throttle", self.models))
        self._forward(body, length, framed, call, fault)

    def _drain(self, length: int) -> None:
        while length > 0:
            chunk = self.rfile.read(min(COPY_CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)

    # -------------------------------------------------------------- upstream

    def _forward(self, body: bytes | None, length: int, framed: bool, call: Call | None,
                 fault: str | None) -> None:
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP
                   and k.lower() != "content-length"]
        if framed:  # (a chunked body goes on with its length)
            headers.append(("Content-Length", str(length)))
        resp = None
        for attempt in (1, 2):
            reused = self._upstream is not None and self._upstream.sock is not None
            try:
                if self._upstream is None:
                    self._upstream = _Upstream(self.upstream_host, self.upstream_port, timeout=600)
                conn = self._upstream
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for k, v in headers:
                    conn.putheader(k, v)
                if body is not None:
                    conn.endheaders(body)
                else:
                    conn.endheaders()
                    remaining = length
                    while remaining > 0:
                        chunk = self.rfile.read(min(COPY_CHUNK, remaining))
                        if not chunk:
                            raise ConnectionError("client closed the request body early")
                        conn.send(chunk)
                        remaining -= len(chunk)
                resp = conn.getresponse()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                # moto closed an idle keep-alive connection: resend once on a
                # fresh one (the request was not received), if we still can.
                if self._upstream is not None:
                    self._upstream.close()
                self._upstream = None
                if attempt == 2 or not reused or body is None:
                    return self._bad_gateway(e)
            except OSError as e:
                if self._upstream is not None:
                    self._upstream.close()
                self._upstream = None
                return self._bad_gateway(e)
        assert resp is not None
        if fault == "lost" and call is not None:
            resp.read()
            if resp.will_close:
                self._upstream.close()
                self._upstream = None
            self._note(f"lost reply {call.key} {call.name} (moto said {resp.status})")
            return self._send(*fault_response(call, "internal", self.models))
        self._relay(resp)

    def _relay(self, resp: http.client.HTTPResponse) -> None:
        self.send_response_only(resp.status, resp.reason)
        no_body = self.command == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200
        known_length = resp.getheader("Content-Length") is not None and not resp.chunked
        for k, v in resp.getheaders():
            lk = k.lower()
            if lk in HOP_BY_HOP:
                continue
            if lk == "content-length" and not (known_length or no_body):
                continue
            self.send_header(k, v)
        if no_body:
            self.end_headers()
        elif known_length:
            self.end_headers()
            while True:
                chunk = resp.read(COPY_CHUNK)
                if not chunk:
                    break
                self.wfile.write(chunk)
        else:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while True:
                chunk = resp.read1(COPY_CHUNK) if hasattr(resp, "read1") else resp.read(COPY_CHUNK)
                if not chunk:
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        if resp.will_close and self._upstream is not None:
            self._upstream.close()
            self._upstream = None

    def _bad_gateway(self, error: Exception) -> None:
        self._note(f"upstream error: {error!r}")
        self.close_connection = True
        self._send(502, [("Content-Type", "text/plain")], f"fault proxy: emulator unreachable: {error}\n".encode())

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    # -------------------------------------------------------------- control

    def _control(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        params = dict(parse_qsl(split.query))
        route = (self.command, split.path.rstrip("/"))
        try:
            if route == ("GET", "/_faults/health"):
                return self._json(200, {"ok": True})
            if route == ("POST", "/_faults/profile"):
                body = json.loads(raw or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("expected a JSON object")
                return self._json(200, self.state.set_profile(body))
            if route == ("GET", "/_faults/stats"):
                return self._json(200, self.state.stats(params.get("access_key")))
            if route == ("POST", "/_faults/reset"):
                key = params.get("access_key")
                if not key and raw:
                    key = json.loads(raw).get("access_key")
                if not key:
                    raise ValueError("access_key is required")
                self.state.reset(key)
                return self._json(200, {"access_key": key, "reset": True})
            return self._json(404, {"error": f"no such control endpoint: {self.command} {split.path}"})
        except ValueError as e:  # includes JSON errors
            return self._json(400, {"error": str(e)})

    def _json(self, status: int, doc: Any) -> None:
        self._send(status, [("Content-Type", "application/json")], json.dumps(doc, sort_keys=True).encode())


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def _watch_owner(pid: int, server: Server) -> None:
    while True:
        time.sleep(1)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            server.shutdown()
            return
        except PermissionError:
            pass


def serve(upstream: str, host: str = "127.0.0.1", port: int = 0, verbose: bool = False) -> Server:
    """Builds the proxy server (call serve_forever on it)."""
    u = urlsplit(upstream)
    handler = type("BoundHandler", (Handler,), {
        "state": State(),
        "models": Models(_botocore_data()),
        "upstream_host": u.hostname or "127.0.0.1",
        "upstream_port": u.port or 80,
        "verbose": verbose,
    })
    return Server((host, port), handler)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--upstream", required=True, help="the emulator, e.g. http://127.0.0.1:5000")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--owner-pid", type=int, help="exit when this process is gone")
    p.add_argument("--verbose", action="store_true", help="log every request")
    args = p.parse_args(argv)
    server = serve(args.upstream, args.host, args.port, args.verbose)
    port = server.server_address[1]
    # Load the REST models before the first call needs them.
    models = server.RequestHandlerClass.models
    threading.Thread(target=lambda: [models.candidates(s) for s in
                                     ("s3", "route53", "cloudfront", "apigateway", "elasticfilesystem")],
                     daemon=True).start()
    if args.owner_pid:
        threading.Thread(target=_watch_owner, args=(args.owner_pid, server), daemon=True).start()
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    sys.stderr.write(f"fault proxy on {args.host}:{port} -> {args.upstream}\n")
    sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
