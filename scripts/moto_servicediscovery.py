"""Cloud Map (service discovery) gaps for the emulator (imported by
moto_server.py). Checked against moto 5.1; each filled as the AWS API
references (ECS `ServiceRegistry`, Cloud Map `DeleteService`,
`DeleteNamespace`) and the ECS developer guide's service-discovery page
describe:

- ECS never registers a service's tasks in its Cloud Map registries
  (`serviceRegistries` is only stored). On AWS each running task is an
  instance of the registry's service: its id the task id, with the
  attributes `AWS_INSTANCE_IPV4` (the task's private IP), `AVAILABILITY_ZONE`,
  `AWS_INIT_HEALTH_STATUS`, `ECS_CLUSTER_NAME`, `ECS_SERVICE_NAME` and
  `ECS_TASK_DEFINITION_FAMILY`; a task that stops is deregistered. Here,
  after CreateService, UpdateService and DeleteService, each registry holds
  one instance per task the service runs (its desired count while ACTIVE,
  none once deleted or scaled to zero; registries dropped by an update are
  emptied), with ids and IPs derived from the service and the task's index
  (in the service's first subnet).
- CreateService makes a second service of a name the namespace has; AWS
  answers `ServiceAlreadyExists` (with the existing `ServiceId` and
  `CreatorRequestId`), or the existing service when the request repeats
  its `CreatorRequestId` (a retried request).
- DeleteService succeeds while instances are registered; AWS refuses it
  with `ResourceInUse` until they are deregistered.
- DeleteNamespace succeeds while the namespace has services; AWS refuses it
  with `ResourceInUse`.

Remove each fix once moto closes its gap.
"""

import hashlib
import ipaddress
from typing import Any

from moto.ecs import models as ecs_models
from moto.servicediscovery import models as sd_models
from moto.servicediscovery.exceptions import ServiceDiscoveryException


class ResourceInUse(ServiceDiscoveryException):
    code = "ResourceInUse"


class ServiceAlreadyExists(ServiceDiscoveryException):
    code = "ServiceAlreadyExists"

    def __init__(self, service: Any):
        super().__init__(f"Service already exists: {service.name}")
        self.ServiceId = service.id
        self.CreatorRequestId = service.creator_request_id


# moto finds an error's service model from the module its class is in.
ResourceInUse.__module__ = ServiceAlreadyExists.__module__ = "moto.servicediscovery.exceptions"


def _sd_backend(account_id: str, region: str) -> Any:
    return sd_models.servicediscovery_backends[account_id][region]


def _task_id(service_arn: str, index: int) -> str:
    return hashlib.sha256(f"{service_arn}#{index}".encode()).hexdigest()[:32]


def _subnet(account_id: str, region: str, service: Any) -> tuple[str, str]:
    """The CIDR and AZ of the service's first subnet (a stand-in when unknown)."""
    from moto.ec2.models import ec2_backends

    vpc = (getattr(service, "network_configuration", None) or {}).get("awsvpcConfiguration", {})
    for subnet_id in vpc.get("subnets", []):
        try:
            s = ec2_backends[account_id][region].get_subnet(subnet_id)
            return s.cidr_block, s.availability_zone
        except Exception:  # noqa: BLE001  (an unknown subnet: use the stand-in)
            break
    return "10.0.0.0/24", f"{region}a"


def _registry_ids(service: Any) -> list[str]:
    return [r["registryArn"].rsplit("/", 1)[-1] for r in (service.service_registries or []) if r.get("registryArn")]


def _sync(backend: Any, service: Any, previous: list[str]) -> None:
    """Brings each registry's instances of this ECS service to its task count."""
    sd = _sd_backend(backend.account_id, backend.region_name)
    arn = service.arn
    ids = _registry_ids(service)
    count = service.desired_count if service.status == "ACTIVE" else 0
    cidr, az = _subnet(backend.account_id, backend.region_name, service)
    hosts = list(ipaddress.ip_network(cidr).hosts())
    family = (service.task_definition or "").rsplit("/", 1)[-1].split(":")[0]
    for reg in set(previous) | set(ids):
        if reg not in sd.services:
            continue
        want = {_task_id(arn, i): i for i in range(count)} if reg in ids else {}
        ours = {_task_id(arn, i) for i in range(1000)}
        svc = sd.services[reg]
        for inst in list(svc.instances):
            if inst.instance_id in ours and inst.instance_id not in want:
                sd.deregister_instance(reg, inst.instance_id)
        have = {i.instance_id for i in svc.instances}
        for task, i in want.items():
            if task in have:
                continue
            sd.register_instance(reg, task, None, {
                "AWS_INSTANCE_IPV4": str(hosts[(10 + i) % len(hosts)]),
                "AVAILABILITY_ZONE": az,
                "AWS_INIT_HEALTH_STATUS": "HEALTHY",
                "ECS_CLUSTER_NAME": service.cluster_name,
                "ECS_SERVICE_NAME": service.name,
                "ECS_TASK_DEFINITION_FAMILY": family,
            })


_create_service = ecs_models.EC2ContainerServiceBackend.create_service
_update_service = ecs_models.EC2ContainerServiceBackend.update_service
_delete_service = ecs_models.EC2ContainerServiceBackend.delete_service


def create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
    service = _create_service(self, *args, **kwargs)
    _sync(self, service, [])
    return service


def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
    cluster = service_properties.get("cluster", "default")
    name = service_properties.get("service", "").split("/")[-1]
    try:
        before = _registry_ids(self._get_service(cluster, name))
    except Exception:  # noqa: BLE001  (the update reports the missing service)
        before = []
    service = _update_service(self, service_properties)
    _sync(self, service, before)
    return service


def delete_service(self: Any, cluster_name: str, service_name: str, force: bool) -> Any:
    service = _delete_service(self, cluster_name, service_name, force)
    _sync(self, service, _registry_ids(service))
    return service


ecs_models.EC2ContainerServiceBackend.create_service = create_service
ecs_models.EC2ContainerServiceBackend.update_service = update_service
ecs_models.EC2ContainerServiceBackend.delete_service = delete_service

_sd_create_service = sd_models.ServiceDiscoveryBackend.create_service
_sd_delete_service = sd_models.ServiceDiscoveryBackend.delete_service
_sd_delete_namespace = sd_models.ServiceDiscoveryBackend.delete_namespace


def sd_create_service(self: Any, name: str, namespace_id: str, creator_request_id: str, *args: Any, **kwargs: Any) -> Any:
    for service in self.services.values():
        if service.name.lower() == name.lower() and service.namespace_id == namespace_id:
            if creator_request_id and service.creator_request_id == creator_request_id:
                return service
            raise ServiceAlreadyExists(service)
    return _sd_create_service(self, name, namespace_id, creator_request_id, *args, **kwargs)


def sd_delete_service(self: Any, service_id: str) -> None:
    service = self.services.get(service_id)
    if service is not None and service.instances:
        raise ResourceInUse(f"Service contains registered instances; delete the instances before deleting the service ({service_id})")
    _sd_delete_service(self, service_id)


def sd_delete_namespace(self: Any, namespace_id: str) -> str:
    if any(s.namespace_id == namespace_id for s in self.services.values()):
        raise ResourceInUse(f"Namespace {namespace_id} has associated services")
    return _sd_delete_namespace(self, namespace_id)


sd_models.ServiceDiscoveryBackend.create_service = sd_create_service
sd_models.ServiceDiscoveryBackend.delete_service = sd_delete_service
sd_models.ServiceDiscoveryBackend.delete_namespace = sd_delete_namespace
