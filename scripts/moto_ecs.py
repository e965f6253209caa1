"""ECS deployment gaps for the emulator (imported by moto_server.py).

moto 5 (checked on 5.2.6) gives an ECS service one deployment, made at
CreateService, and never another; a rollout follower (`gantry deploy`)
cannot be tested against that. The gaps, each filled here following the
ECS API reference and the developer guide's service-deployment pages:

- CreateService drops `deploymentConfiguration` and `enableExecuteCommand`.
  Both are kept; a configuration is returned as sent, keys not sent get
  AWS's defaults (circuit breaker off, 200 %, 100 %). UpdateService merges
  a new one over it.
- UpdateService creates no deployment: a new task definition only changes
  `service.taskDefinition` (and as sent, `family:2` rather than the ARN),
  `forceNewDeployment` renames the existing deployment. Here a change of
  task definition, network configuration, capacity provider strategy,
  load balancers, service registries or ECS Exec, or `forceNewDeployment`,
  starts a deployment as on AWS: a new PRIMARY (IN_PROGRESS, nothing running yet), the old one
  ACTIVE, `currentServiceDeployment` naming the new service deployment. A
  desiredCount-only change makes none (the PRIMARY's count follows).
- Deployment ids have 18 digits or fewer (`ecs-svc/<19 digits>` on AWS),
  and with MOTO_ECS_SERVICE_RUNNING above the desired count a service
  reports more tasks running than desired and a negative pending count;
  running is capped at desired here.
- No service events; added for what a rollout writes (started, stopped,
  deployment completed / failed, rolling back, steady state; newest first,
  each at least 1 ms after the one before, at most 100).
- No ListServiceDeployments, DescribeServiceDeployments or
  StopServiceDeployment (500). Added with AWS's shapes: a service
  deployment per deployment (an id of 21 characters), its target service
  revision `service-revision/CLUSTER/SERVICE/<the deployment's digits>`,
  status PENDING/IN_PROGRESS/SUCCESSFUL/STOPPED/ROLLBACK_SUCCESSFUL/...
  (there is no FAILED: a failure without rollback is STOPPED), unknown
  ARNs in `failures` (MISSING); stopping a finished one is a
  ConflictException, an unknown one ServiceDeploymentNotFoundException.
- ListTasks ignores `serviceName` and lists every desired status when none
  is given (AWS lists RUNNING by default); both as on AWS here.
- No rollout ever fails. How each deployment ends is scripted per service:

      POST /moto-api/gantry/ecs-rollout
      {"cluster": "c", "service": "s", "outcome": "complete"|"fail"|"stuck",
       "seconds": 1.0,
       "failed_tasks": [{"stopped_reason": "...", "stop_code": "...",
                         "containers": {"app": {"exit_code": 1, "reason": "..."}}}]}

  The script applies to every deployment of that service created after it
  (until set again); unset, a deployment completes after 1 s. The outcome
  is reached `seconds` after the deployment was created and evaluated when
  the service is read (DescribeServices, ListTasks, the service-deployment
  APIs, UpdateService). `fail` stops one task per `failed_tasks` entry
  (default: one entry; an entry without `containers` has the task
  definition's first container exit 1; missing reasons and codes are
  "Essential container in task exited" / EssentialContainerExited); these
  tasks (started by the deployment id, group `service:NAME`) are listed
  and described STOPPED and never move. With the circuit breaker on the
  deployment then fails (and, with rollback, the service goes back to the
  last completed deployment: AWS gives that deployment's id to the
  rollback's PRIMARY); with the breaker off it stays IN_PROGRESS, as on
  AWS, where an unguarded rollout retries for ever. StopServiceDeployment
  ROLLBACK rolls an unfinished deployment back the same way (without
  stopped tasks); ABORT leaves it where it is, STOPPED. A deployment
  superseded by a newer one while under way is STOPPED too.

Scripts are keyed by cluster and service name, not account or region:
tests give their stacks unique names. Remove this once moto models
deployments.
"""

import copy
import json
import math
import secrets
import string
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import moto.moto_api._internal.urls as moto_api_urls
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs import responses as ecs_responses
from moto.ecs.exceptions import ECSException, InvalidParameterException, ServiceNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.utilities.utils import get_partition

Response = ecs_responses.EC2ContainerServiceResponse

# moto's server answers requests on threads; every read or change of the
# state kept here happens under this lock.
_LOCK = threading.RLock()
# (cluster name, service name) -> {"outcome", "seconds", "failed_tasks"}
_SCRIPTS: dict[tuple[str, str], dict[str, Any]] = {}
_DEFAULT_SCRIPT = {"outcome": "complete", "seconds": 1.0, "failed_tasks": None}
_DEFAULT_FAILURE = {"stopped_reason": "Essential container in task exited",
                    "stop_code": "EssentialContainerExited"}
_DEFAULT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
_FINISHED = {"SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"}
_BREAKER_FAILED = "ECS deployment circuit breaker: tasks failed to start."
_ID_CHARS = string.ascii_letters + string.digits + "-_"


def _error(code: str, message: str) -> ECSException:
    return ECSException(code, message)


# ------------------------------------------------------------------ helpers

def _deployment_id() -> str:
    return f"ecs-svc/{secrets.randbelow(9 * 10**18) + 10**18}"


def _arn(service: Any, kind: str, tail: str) -> str:
    region = service.region_name
    return (f"arn:{get_partition(region)}:ecs:{region}:{service._account_id}:"
            f"{kind}/{service.cluster_name}/{service.name}/{tail}")


def _revision_arn(service: Any, deployment_id: str) -> str:
    return _arn(service, "service-revision", deployment_id.split("/")[-1])


def _event(service: Any, at: datetime, message: str) -> None:
    # Strictly newer than the last one (to the millisecond the API shows),
    # so that a reader can follow events by time.
    if service.events and at < service.events[0]["createdAt"] + timedelta(milliseconds=1):
        at = service.events[0]["createdAt"] + timedelta(milliseconds=1)
    service.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": at,
                              "message": f"(service {service.name}) {message}"})
    del service.events[100:]


def _recount(service: Any) -> None:
    if service.deployments:
        service.running_count = sum(d["runningCount"] for d in service.deployments)
        service.pending_count = sum(d["pendingCount"] for d in service.deployments)


def _breaker(service: Any) -> dict[str, Any]:
    conf = getattr(service, "deployment_configuration", None) or {}
    return conf.get("deploymentCircuitBreaker") or {}


def _sds(service: Any) -> list[dict[str, Any]]:
    if not hasattr(service, "_gantry_sds"):
        service._gantry_sds = []
    return service._gantry_sds


def _state(d: dict[str, Any]) -> dict[str, Any]:
    """The emulator's own record of a deployment (ignored by the serializer)."""
    return d.setdefault("_gantry", {})


def _configuration(sent: dict[str, Any] | None, base: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    out.update(copy.deepcopy(sent or {}))
    return out


def _service_deployment(service: Any, d: dict[str, Any], sources: list[dict[str, Any]]) -> dict[str, Any]:
    sd_id = "".join(secrets.choice(_ID_CHARS) for _ in range(21))
    enabled = bool(_breaker(service).get("enable"))
    sd = {
        "serviceDeploymentArn": _arn(service, "service-deployment", sd_id),
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        "createdAt": d["createdAt"],
        "startedAt": d["createdAt"],
        "updatedAt": d["createdAt"],
        "sourceServiceRevisions": sources,
        "targetServiceRevision": {
            "arn": _revision_arn(service, d["id"]),
            "requestedTaskCount": d["desiredCount"],
            "runningTaskCount": d["runningCount"],
            "pendingTaskCount": d["pendingCount"],
        },
        "status": "IN_PROGRESS",
        "deploymentConfiguration": copy.deepcopy(getattr(service, "deployment_configuration", None)),
        "deploymentCircuitBreaker": {
            "status": "MONITORING" if enabled else "DISABLED",
            "failureCount": 0,
            "threshold": max(3, min(200, math.ceil(d["desiredCount"] * 0.5))),
        },
    }
    _sds(service).append(sd)
    _state(d)["sd"] = sd
    service.current_service_deployment = sd["serviceDeploymentArn"]
    return sd


def _sd_counts(d: dict[str, Any]) -> None:
    sd = _state(d).get("sd")
    if sd:
        sd["targetServiceRevision"].update(requestedTaskCount=d["desiredCount"],
                                           runningTaskCount=d["runningCount"],
                                           pendingTaskCount=d["pendingCount"])


def _finish(sd: dict[str, Any], at: datetime, status: str, reason: str | None = None) -> None:
    sd.update(status=status, finishedAt=at, updatedAt=at)
    if status == "STOPPED":
        sd["stoppedAt"] = at
    if reason:
        sd["statusReason"] = reason


def _started_event(service: Any, d: dict[str, Any], at: datetime) -> None:
    ids = _state(d).setdefault("task_ids", [uuid.uuid4().hex for _ in range(d["desiredCount"])])
    if ids:
        tasks = " ".join(f"(task {t})" for t in ids)
        _event(service, at, f"has started {len(ids)} tasks: {tasks}.")


def _completed(service: Any, d: dict[str, Any], at: datetime) -> None:
    """`d` reached a steady state at `at`."""
    d.update(rolloutState="COMPLETED", rolloutStateReason=f"ECS deployment {d['id']} completed.",
             runningCount=d["desiredCount"], pendingCount=0, updatedAt=at)
    _state(d).pop("due", None)
    service.deployments[:] = [x for x in service.deployments if x is d]
    service._gantry_stable = {"id": d["id"], "taskDefinition": d["taskDefinition"]}
    _event(service, at, f"(deployment {d['id']}) deployment completed.")
    _event(service, at, "has reached a steady state.")
    sd = _state(d).get("sd")
    if sd and sd["status"] not in _FINISHED:
        _finish(sd, at, "SUCCESSFUL")
        if sd["deploymentCircuitBreaker"]["status"] == "MONITORING":
            sd["deploymentCircuitBreaker"]["status"] = "MONITORING_COMPLETE"
    _sd_counts(d)
    _recount(service)


def _roll_back(service: Any, d: dict[str, Any], at: datetime, reason: str) -> None:
    """Replaces `d` by the last completed deployment's task definition."""
    sd = _state(d).get("sd")
    stable = getattr(service, "_gantry_stable", None)
    _state(d).pop("due", None)
    if not stable:
        if sd:
            _finish(sd, at, "ROLLBACK_FAILED", "No completed deployment to roll back to.")
        return
    if sd:
        sd.update(status="ROLLBACK_IN_PROGRESS", updatedAt=at,
                  rollback={"reason": reason, "startedAt": at,
                            "serviceRevisionArn": _revision_arn(service, stable["id"])})
    _event(service, at, f"rolling back to deployment {stable['id']}.")
    # AWS names the rollback's deployment after the one it goes back to.
    back = {
        **{k: v for k, v in d.items() if k != "_gantry"},
        "id": stable["id"],
        "status": "PRIMARY",
        "taskDefinition": stable["taskDefinition"],
        "desiredCount": service.desired_count,
        "pendingCount": service.desired_count,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": at,
        "updatedAt": at,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment circuit breaker: rolling back to deploymentId {stable['id']}.",
    }
    service.deployments[:] = [back]
    service.task_definition = stable["taskDefinition"]
    _completed(service, back, at)
    if sd:
        _finish(sd, at, "ROLLBACK_SUCCESSFUL", reason)
        sd["targetServiceRevision"].update(runningTaskCount=0, pendingTaskCount=0)


def _stopped_tasks(backend: Any, service: Any, d: dict[str, Any], at: datetime,
                   failures: list[dict[str, Any]]) -> None:
    td = backend.describe_task_definition(d["taskDefinition"])
    defs = td.container_definitions or []
    started = list(_state(d).get("task_ids") or [])
    cluster = backend._get_cluster(service.cluster_name)
    for i, failure in enumerate(failures):
        task = _StoppedTask(backend, service, d, td, started[i] if i < len(started) else uuid.uuid4().hex,
                            at, failure, defs)
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        _event(service, at, f"has stopped 1 running tasks: (task {task.id}).")


def _failed(backend: Any, service: Any, d: dict[str, Any], at: datetime) -> None:
    failures = _state(d).get("failed_tasks")
    if failures is None:
        failures = [dict(_DEFAULT_FAILURE)]
    _stopped_tasks(backend, service, d, at, failures)
    d.update(failedTasks=d.get("failedTasks", 0) + len(failures), updatedAt=at)
    _state(d).pop("due", None)
    sd = _state(d).get("sd")
    if sd:
        sd["deploymentCircuitBreaker"]["failureCount"] += len(failures)
        sd["updatedAt"] = at
    breaker = _breaker(service)
    if not breaker.get("enable"):
        return  # AWS keeps launching tasks: IN_PROGRESS for ever
    d.update(rolloutState="FAILED", rolloutStateReason=_BREAKER_FAILED, pendingCount=0)
    _event(service, at, f"(deployment {d['id']}) deployment failed: tasks failed to start.")
    if sd:
        sd["deploymentCircuitBreaker"]["status"] = "TRIGGERED"
    if breaker.get("rollback"):
        _roll_back(service, d, at, _BREAKER_FAILED)
    else:
        if sd:
            _finish(sd, at, "STOPPED", _BREAKER_FAILED)
        _sd_counts(d)
        _recount(service)


def _advance(backend: Any, service: Any) -> None:
    """Applies each scripted outcome whose time has come."""
    now = utcnow()
    for d in sorted(list(service.deployments), key=lambda x: x["createdAt"]):
        st = d.get("_gantry") or {}
        due = st.get("due")
        if due is None or due > now or d not in service.deployments:
            continue
        if st["outcome"] == "complete":
            _completed(service, d, due)
        elif st["outcome"] == "fail":
            _failed(backend, service, d, due)


def _new_deployment(backend: Any, service: Any, at: datetime) -> dict[str, Any]:
    sources = []
    for old in service.deployments:
        if old["status"] == "PRIMARY":
            old.update(status="ACTIVE", updatedAt=at)
            # A newer deployment supersedes one still under way.
            st = _state(old)
            st.pop("due", None)
            if st.get("sd") and st["sd"]["status"] not in _FINISHED:
                _finish(st["sd"], at, "STOPPED", "Superseded by a newer service deployment.")
        sources.append({"arn": _revision_arn(service, old["id"]),
                        "requestedTaskCount": old["desiredCount"],
                        "runningTaskCount": old["runningCount"],
                        "pendingTaskCount": old["pendingCount"]})
    template = service.deployments[0] if service.deployments else {}
    dep_id = _deployment_id()
    d = {
        **{k: v for k, v in template.items() if k != "_gantry"},
        "id": dep_id,
        "status": "PRIMARY",
        "taskDefinition": service.task_definition,
        "desiredCount": service.desired_count,
        "pendingCount": service.desired_count,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": at,
        "updatedAt": at,
        "launchType": service.launch_type,
        "networkConfiguration": service.network_configuration or None,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {dep_id} in progress.",
    }
    if getattr(service, "capacity_provider_strategy", None):
        d["capacityProviderStrategy"] = service.capacity_provider_strategy
    script = _SCRIPTS.get((service.cluster_name, service.name), _DEFAULT_SCRIPT)
    st = _state(d)
    st.update(outcome=script["outcome"], failed_tasks=copy.deepcopy(script["failed_tasks"]))
    if script["outcome"] != "stuck":
        st["due"] = at + timedelta(seconds=script["seconds"])
    service.deployments.insert(0, d)
    _service_deployment(service, d, sources)
    _started_event(service, d, at)
    _recount(service)
    return d


class _StoppedTask:
    """A task of a failed deployment: STOPPED as scripted, never moving on.
    Stored with moto's tasks so that ListTasks and DescribeTasks find it;
    serialized by attribute, like moto's own Task."""

    def __init__(self, backend: Any, service: Any, d: dict[str, Any], td: Any, task_id: str,
                 at: datetime, failure: dict[str, Any], defs: list[dict[str, Any]]):
        self.id = task_id
        self.cluster_arn = service.cluster_arn
        self.cluster_name = service.cluster_name
        region, account = service.region_name, backend.account_id
        base = f"arn:{get_partition(region)}:ecs:{region}:{account}"
        if backend.enable_long_arn_for_name(name="taskLongArnFormat"):
            self.task_arn = f"{base}:task/{service.cluster_name}/{task_id}"
        else:
            self.task_arn = f"{base}:task/{task_id}"
        self.task_definition_arn = d["taskDefinition"]
        self.container_instance_arn = None
        self.last_status = "STOPPED"
        self.desired_status = "STOPPED"
        self.stopped_reason = failure.get("stopped_reason", _DEFAULT_FAILURE["stopped_reason"])
        self.stop_code = failure.get("stop_code", _DEFAULT_FAILURE["stop_code"])
        self.created_at = d["createdAt"]
        self.stopping_at = self.stopped_at = self.execution_stopped_at = at
        self.started_by = d["id"]
        self.group = f"service:{service.name}"
        self.launch_type = service.launch_type
        self.cpu = td.cpu
        self.memory = td.memory
        self.tags: list[dict[str, str]] = []
        self.attachments: list[dict[str, Any]] = []
        self.overrides: dict[str, Any] = {}
        self.resource_requirements = None
        # An entry naming no containers has the first one exit 1.
        first = defs[0].get("name") if defs else None
        scripted = failure["containers"] if "containers" in failure else {first: {"exit_code": 1}}
        self.containers = []
        for c in defs:
            entry = {
                "containerArn": f"{base}:container/{service.cluster_name}/{task_id}/{uuid.uuid4()}",
                "taskArn": self.task_arn,
                "name": c.get("name"),
                "image": c.get("image"),
                "lastStatus": "STOPPED",
                "networkInterfaces": [],
            }
            got = scripted.get(c.get("name")) or {}
            if "exit_code" in got:
                entry["exitCode"] = got["exit_code"]
            if "reason" in got:
                entry["reason"] = got["reason"]
            self.containers.append(entry)

    def advance(self) -> None:
        """moto moves a task one state on each DescribeTasks; this one stays."""


# --------------------------------------------------------- CreateService

_create_service = Response.create_service


def create_service(self: Any) -> Any:
    result = _create_service(self)
    with _LOCK:
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"),
                                                self._get_param("serviceName"))
        service.enable_execute_command = bool(self._get_param("enableExecuteCommand", False))
        service.deployment_configuration = _configuration(self._get_param("deploymentConfiguration"),
                                                          _DEFAULT_CONFIGURATION)
        service.events = []
        service._gantry_sds = []
        if not service.deployments:
            return result
        d = service.deployments[0]
        d["id"] = _deployment_id()
        d["runningCount"] = min(d["runningCount"], d["desiredCount"])
        d["pendingCount"] = d["desiredCount"] - d["runningCount"]
        d["rolloutStateReason"] = (f"ECS deployment {d['id']} completed." if d["rolloutState"] == "COMPLETED"
                                   else f"ECS deployment {d['id']} in progress.")
        _recount(service)
        _service_deployment(service, d, [])
        _started_event(service, d, d["createdAt"])
        if d["rolloutState"] == "COMPLETED":
            # moto reports the counts it was told to at once.
            _completed(service, d, d["createdAt"])
    return result


# --------------------------------------------------------- UpdateService

_update_service = EC2ContainerServiceBackend.update_service
_TRIGGERS = ("network_configuration", "capacity_provider_strategy", "load_balancers", "service_registries",
             "enable_execute_command")


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def update_service(self: Any, props: dict[str, Any]) -> Any:
    props = dict(props)
    with _LOCK:
        service = self._get_service(props.get("cluster", "default"), props["service"].split("/")[-1])
        _advance(self, service)
        before = {k: copy.deepcopy(getattr(service, k, None)) for k in ("task_definition",) + _TRIGGERS}
        force = bool(props.get("force_new_deployment"))
        props["force_new_deployment"] = False  # moto would rename the current deployment
        sent_conf = props.pop("deployment_configuration", None)
        if props.get("task_definition"):
            props["task_definition"] = self.describe_task_definition(props["task_definition"]).arn
        result = _update_service(self, props)
        if sent_conf is not None:
            base = getattr(service, "deployment_configuration", None) or _DEFAULT_CONFIGURATION
            service.deployment_configuration = _configuration(sent_conf, base)
        if not service.deployments:
            return result
        changed = force or service.task_definition != before["task_definition"] or any(
            props.get(k) is not None and not _same(props[k], before[k]) for k in _TRIGGERS)
        if changed:
            _new_deployment(self, service, utcnow())
        elif props.get("desired_count") is not None:
            primary = next(d for d in service.deployments if d["status"] == "PRIMARY")
            primary["desiredCount"] = service.desired_count
            if primary["rolloutState"] == "COMPLETED":
                primary.update(runningCount=service.desired_count, pendingCount=0)
            elif primary["rolloutState"] == "IN_PROGRESS":
                primary["pendingCount"] = max(service.desired_count - primary["runningCount"], 0)
            primary["updatedAt"] = utcnow()
            _sd_counts(primary)
            _recount(service)
        return result


# ------------------------------------------------------ reads that advance

_describe_services = EC2ContainerServiceBackend.describe_services


def describe_services(self: Any, cluster_str: str, names: list[str]) -> Any:
    with _LOCK:
        services, failures = _describe_services(self, cluster_str, names)
        for s in services:
            _advance(self, s)
        return services, failures


def list_tasks(self: Any) -> ActionResult:
    backend = self.ecs_backend
    cluster_str = self._get_param("cluster", "default")
    service_name = self._get_param("serviceName")
    with _LOCK:
        cluster = backend._get_cluster(cluster_str)
        for s in list(backend.services.values()):
            if s.cluster_name == cluster.name and (not service_name or s.name == service_name.split("/")[-1]):
                _advance(backend, s)
        tasks = backend.list_tasks(
            cluster_str,
            self._get_param("containerInstance"),
            self._get_param("family"),
            self._get_param("startedBy"),
            None,
            self._get_param("desiredStatus") or "RUNNING",  # AWS's default filter
        )
        if service_name:
            if not any(s.cluster_name == cluster.name and s.name == service_name.split("/")[-1]
                       for s in backend.services.values()):
                raise ServiceNotFoundException()
            group = f"service:{service_name.split('/')[-1]}"
            tasks = [t for t in tasks if t.group == group]
        return ActionResult({"taskArns": [t.task_arn for t in tasks]})


# ------------------------------------------------ service-deployment APIs

def _find_sd(backend: Any, arn: str) -> tuple[Any, Any]:
    """The live service and service deployment an ARN names, or (None, None)."""
    for s in backend.services.values():
        if s.status != "ACTIVE":
            continue
        for sd in _sds(s):
            if sd["serviceDeploymentArn"] == arn:
                return s, sd
    return None, None


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    return datetime.fromtimestamp(float(value), tz=timezone.utc).replace(tzinfo=None)


def list_service_deployments(self: Any) -> ActionResult:
    backend = self.ecs_backend
    with _LOCK:
        service = backend._get_service(self._get_param("cluster", "default"),
                                       str(self._get_param("service") or "").split("/")[-1])
        if service.status != "ACTIVE":
            raise ServiceNotFoundException()
        _advance(backend, service)
        statuses = self._get_param("status") or []
        created = self._get_param("createdAt") or {}
        before, after = _time(created.get("before")), _time(created.get("after"))
        found = [sd for sd in sorted(_sds(service), key=lambda x: x["createdAt"], reverse=True)
                 if (not statuses or sd["status"] in statuses)
                 and (before is None or sd["createdAt"] <= before)
                 and (after is None or sd["createdAt"] >= after)]
        size = int(self._get_param("maxResults") or 20)
        if not 1 <= size <= 100:
            raise InvalidParameterException("maxResults must be between 1 and 100.")
        start = int(self._get_param("nextToken") or 0)
        page = found[start:start + size]
        briefs = [{
            **{k: sd.get(k) for k in ("serviceDeploymentArn", "serviceArn", "clusterArn", "startedAt",
                                      "createdAt", "finishedAt", "status", "statusReason")},
            "targetServiceRevisionArn": sd["targetServiceRevision"]["arn"],
        } for sd in page]
        out: dict[str, Any] = {"serviceDeployments": briefs}
        if start + size < len(found):
            out["nextToken"] = str(start + size)
        return ActionResult(out)


def describe_service_deployments(self: Any) -> ActionResult:
    backend = self.ecs_backend
    arns = self._get_param("serviceDeploymentArns") or []
    if not arns or len(arns) > 20:
        raise InvalidParameterException("serviceDeploymentArns must name between 1 and 20 ARNs.")
    found, failures = [], []
    with _LOCK:
        for arn in arns:
            service, sd = _find_sd(backend, arn)
            if sd is None:
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            _advance(backend, service)
            found.append(copy.deepcopy(sd))
    return ActionResult({"serviceDeployments": found, "failures": failures})


def stop_service_deployment(self: Any) -> ActionResult:
    backend = self.ecs_backend
    arn = self._get_param("serviceDeploymentArn")
    stop_type = self._get_param("stopType") or "ROLLBACK"
    if stop_type not in ("ROLLBACK", "ABORT"):
        raise InvalidParameterException("stopType must be ROLLBACK or ABORT.")
    with _LOCK:
        service, sd = _find_sd(backend, arn)
        if sd is None:
            raise _error("ServiceDeploymentNotFoundException", f"Service deployment {arn} not found.")
        _advance(backend, service)
        if sd["status"] in _FINISHED:
            raise _error("ConflictException",
                         f"The service deployment is in the {sd['status']} state and cannot be stopped.")
        d = next((x for x in service.deployments if _state(x).get("sd") is sd), None)
        now = utcnow()
        if stop_type == "ROLLBACK" and d is not None:
            _roll_back(service, d, now, "Service deployment rolled back by a user request.")
        else:
            if d is not None:
                _state(d).pop("due", None)  # nothing more happens to it
            _finish(sd, now, "STOPPED", "Service deployment stopped by a user request.")
    return ActionResult({"serviceDeploymentArn": arn})


# ------------------------------------------------------- control endpoint

def _bad(message: str) -> tuple[int, dict[str, str], str]:
    return 400, {"Content-Type": "application/json"}, json.dumps({"error": message})


def set_rollout(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    """POST /moto-api/gantry/ecs-rollout: how the service's next deployments end."""
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError as e:
        return _bad(f"body is not JSON: {e}")
    cluster = str(body.get("cluster") or "default").split("/")[-1]
    service = str(body.get("service") or "").split("/")[-1]
    outcome = body.get("outcome", "complete")
    if not service:
        return _bad("service is required")
    if outcome not in ("complete", "fail", "stuck"):
        return _bad("outcome is one of complete, fail, stuck")
    try:
        seconds = float(body.get("seconds", 1.0))
    except (TypeError, ValueError):
        return _bad("seconds is a number")
    failures = body.get("failed_tasks")
    if failures is not None:
        if not isinstance(failures, list) or not all(isinstance(f, dict) for f in failures):
            return _bad("failed_tasks is a list of objects")
        for f in failures:
            if not isinstance(f.get("containers", {}), dict):
                return _bad("failed_tasks[].containers maps container names to {exit_code, reason}")
    script = {"outcome": outcome, "seconds": max(seconds, 0.0), "failed_tasks": failures}
    with _LOCK:
        _SCRIPTS[(cluster, service)] = script
    return 200, {"Content-Type": "application/json"}, json.dumps({"cluster": cluster, "service": service, **script})


Response.create_service = create_service
Response.list_tasks = list_tasks
Response.list_service_deployments = list_service_deployments
Response.describe_service_deployments = describe_service_deployments
Response.stop_service_deployment = stop_service_deployment
EC2ContainerServiceBackend.update_service = update_service
EC2ContainerServiceBackend.describe_services = describe_services
moto_api_urls.url_paths["{0}/moto-api/gantry/ecs-rollout"] = set_rollout
