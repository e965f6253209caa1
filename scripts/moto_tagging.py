"""Resource Groups Tagging API gaps for the emulator (imported by moto_server.py).

moto answers `tagging:GetResources` from the backends that mix in
`moto.core.resource_tagging.TaggableResourcesMixin`. Checked against moto
5.2.5 by creating each resource Gantry makes with tags and listing
`gantry:stack` (scripts/tagging_fixture.py, scripts/test_tagging_gaps.py),
these are the gaps, each filled here the way the AWS API reference names
the ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:TYPE/ID`) and the resource
type (`service:TYPE`, what `ResourceTypeFilters` matches):

- not listed at all: `ec2:elastic-ip`, `ec2:vpc-endpoint`,
  `elasticloadbalancing:listener` and `listener-rule`, `rds:subgrp`,
  `ecr:repository`, `route53:hostedzone` (us-east-1),
  `wafv2:regional/webacl`, `wafv2:regional/ipset`, `wafv2:global/webacl`
  and `wafv2:global/ipset` (us-east-1), `apigateway:apis`,
  `apigateway:vpclinks`, `apigateway:domainnames`
  (`arn:aws:apigateway:REGION::/apis/ID` etc.), `memorydb:cluster`,
  `memorydb:user`, `memorydb:acl`, `memorydb:subnetgroup`,
  `servicediscovery:namespace`, `servicediscovery:service`;
- wrong type or ARN: VPC flow logs (moto `ec2:flow-logs` and
  `.../flow-logs/fl-..`; AWS `ec2:vpc-flow-log`, `.../vpc-flow-log/fl-..`),
  log groups (moto `logs:loggroup`; AWS `logs:log-group`), ElastiCache
  (moto `elasticache:replication-group`, `elasticache:cache_subnet_groups`,
  `cache_clusters`, `snapshots`, `users`; AWS `elasticache:replicationgroup`,
  `subnetgroup`, `cluster`, `snapshot`, `user`);
- wrong region: S3 buckets and CloudFront distributions are listed in every
  region (one backend per partition); AWS lists a bucket in its own region
  and CloudFront (like Route53 and global WAF) in us-east-1 only;
- listed after deletion, because moto keeps the object in a final state:
  NAT gateways (`deleted`), ECS clusters and services (`INACTIVE`),
  ElastiCache replication groups (`deleting`, for ever), KMS keys pending
  deletion and secrets scheduled for deletion (VPC endpoints, which moto
  keeps as `deleted` too, are left out of the listing added here). AWS means
  GetResources to list live resources only (aws/aws-sdk#302), though its
  index can lag and name a resource deleted moments ago (aws/aws-sdk#676);
  a key pending deletion and a secret scheduled for deletion are still
  readable on AWS until the window ends. Here none of them is listed; the
  objects stay as moto keeps them (Describe*/Get* still return them in that
  final state). On AWS as here, a caller confirms a listed resource with a
  read before acting on it.

Pages are read from a listing taken when the first page is asked for:
moto walks its backends lazily between pages, so a listing paged while
other clients create and delete objects could skip or repeat resources
that did not change (a Python dict iterated while it changes).

Pages: AWS takes `ResourcesPerPage` or `TagsPerPage`, not both, and a page
given `ResourcesPerPage` holds that many resources; moto also applies its
default of 100 tags a page, so 100 resources of four tags came back 25 a
page. Given `ResourcesPerPage` alone, tags are bounded here by the most
`TagsPerPage` allows (500), so a page holds the resources asked for.

Also `DeleteCacheSubnetGroup`, which moto does not implement (a 500 page),
so that a stack with ElastiCache can be destroyed. Remove each fix once
moto closes its gap.
"""

from collections.abc import Callable, Iterator
from typing import Any

from moto.core import resource_tagging
from moto.core.resource_tagging import TaggedResource
from moto.ec2.models import EC2Backend
from moto.ecs.models import EC2ContainerServiceBackend
from moto.elasticache import responses as elasticache_responses
from moto.elasticache.exceptions import CacheSubnetGroupNotFound, ElastiCacheException
from moto.elasticache.models import ElastiCacheBackend
from moto.elbv2.models import ELBv2Backend
from moto.kms.models import KmsBackend
from moto.logs.models import LogsBackend
from moto.rds.models import RDSBackend
from moto.resourcegroupstaggingapi import models as tagging_models
from moto.resourcegroupstaggingapi.responses import ResourceGroupsTaggingAPIResponse
from moto.secretsmanager.models import SecretsManagerBackend
from moto.core.responses import EmptyResult
from moto.utilities.utils import get_partition

# Where AWS lists the resources of its global services, per partition.
_GLOBAL_REGION = {"aws": "us-east-1", "aws-cn": "cn-northwest-1", "aws-us-gov": "us-gov-west-1"}


def _wrap(cls: type, fix: Callable[[Any, Iterator[TaggedResource]], Iterator[TaggedResource]]) -> None:
    """Replaces cls.iter_tagged_resources by `fix(backend, moto's resources)`."""
    original = cls.iter_tagged_resources

    def iter_tagged_resources(self: Any) -> Iterator[TaggedResource]:
        return fix(self, original(self))

    cls.iter_tagged_resources = iter_tagged_resources


def _retype(resources: Iterator[TaggedResource], types: dict[str, str]) -> Iterator[TaggedResource]:
    for r in resources:
        r.resource_type = types.get(r.resource_type, r.resource_type)
        yield r


# ---------------------------------------------------------------- EC2


def _ec2(self: Any, resources: Iterator[TaggedResource]) -> Iterator[TaggedResource]:
    prefix = f"arn:{self.partition}:ec2:{self.region_name}:{self.account_id}"
    for r in resources:
        if r.resource_type == "ec2:flow-logs":
            r.resource_type = "ec2:vpc-flow-log"
            r.arn = r.arn.replace(":flow-logs/", ":vpc-flow-log/", 1)
        elif r.resource_type == "ec2:natgateway":
            nat = self.nat_gateways.get(r.arn.rsplit("/", 1)[-1])
            if nat is not None and nat.state == "deleted":
                continue
        yield r
    for address in self.addresses:
        if address.allocation_id:
            yield TaggedResource(
                arn=f"{prefix}:elastic-ip/{address.allocation_id}",
                tags=dict(self.tags.get(address.allocation_id, {})),
                resource_type="ec2:elastic-ip",
            )
    for endpoint in self.vpc_end_points.values():
        if endpoint.state != "deleted":
            yield TaggedResource(
                arn=f"{prefix}:vpc-endpoint/{endpoint.id}",
                tags=dict(self.tags.get(endpoint.id, {})),
                resource_type="ec2:vpc-endpoint",
            )


_wrap(EC2Backend, _ec2)


# ---------------------------------------------------------------- ELBv2


def _elbv2(self: Any, resources: Iterator[TaggedResource]) -> Iterator[TaggedResource]:
    yield from resources
    tags = self.tagging_service.get_tag_dict_for_resource
    for lb in self.load_balancers.values():
        for listener in lb.listeners.values():
            yield TaggedResource(
                arn=listener.arn, tags=tags(listener.arn),
                resource_type="elasticloadbalancing:listener",
            )
            for rule in listener._non_default_rules.values():
                yield TaggedResource(
                    arn=rule.arn, tags=tags(rule.arn),
                    resource_type="elasticloadbalancing:listener-rule",
                )


_wrap(ELBv2Backend, _elbv2)


# ---------------------------------------------------------------- ECS


def _ecs(self: Any, resources: Iterator[TaggedResource]) -> Iterator[TaggedResource]:
    inactive = {c.arn for c in self.clusters.values() if c.status == "INACTIVE"}
    inactive |= {s.physical_resource_id for s in self.services.values() if s.status == "INACTIVE"}
    return (r for r in resources if r.arn not in inactive)


_wrap(EC2ContainerServiceBackend, _ecs)

# ---------------------------------------------------------------- Logs

_wrap(LogsBackend, lambda self, rs: _retype(rs, {"logs:loggroup": "logs:log-group"}))


# ---------------------------------------------------------------- KMS, Secrets Manager


def _kms(self: Any, resources: Iterator[TaggedResource]) -> Iterator[TaggedResource]:
    gone = {k.arn for k in self.keys.values() if k.key_state in ("PendingDeletion", "PendingReplicaDeletion")}
    return (r for r in resources if r.arn not in gone)


_wrap(KmsBackend, _kms)


def _secretsmanager(self: Any, resources: Iterator[TaggedResource]) -> Iterator[TaggedResource]:
    gone = {s.arn for s in self.secrets.values() if s.is_deleted()}
    return (r for r in resources if r.arn not in gone)


_wrap(SecretsManagerBackend, _secretsmanager)


# ---------------------------------------------------------------- RDS


def _rds(self: Any, resources: Iterator[TaggedResource]) -> Iterator[TaggedResource]:
    yield from resources
    for group in self.subnet_groups.values():
        yield TaggedResource(
            arn=group.arn,
            tags={t["Key"]: t["Value"] for t in group.get_tags()},
            resource_type="rds:subgrp",
        )


_wrap(RDSBackend, _rds)


# ---------------------------------------------------------------- ElastiCache

_ELASTICACHE_TYPES = {
    "elasticache:cache_clusters": "elasticache:cluster",
    "elasticache:cache_subnet_groups": "elasticache:subnetgroup",
    "elasticache:replication-group": "elasticache:replicationgroup",
    "elasticache:snapshots": "elasticache:snapshot",
    "elasticache:users": "elasticache:user",
}


def _elasticache(self: Any, resources: Iterator[TaggedResource]) -> Iterator[TaggedResource]:
    deleting = {g.arn for g in self.replication_groups.values() if g.status == "deleting"}
    return (r for r in _retype(resources, _ELASTICACHE_TYPES) if r.arn not in deleting)


_wrap(ElastiCacheBackend, _elasticache)


class _CacheSubnetGroupInUse(ElastiCacheException):
    code = "CacheSubnetGroupInUse"


def _delete_cache_subnet_group(self: Any) -> EmptyResult:
    backend = self.elasticache_backend
    name = self._get_param("CacheSubnetGroupName")
    if name not in backend.cache_subnet_groups:
        raise CacheSubnetGroupNotFound(name)
    users = [c for c in backend.cache_clusters.values() if c.cache_subnet_group_name == name]
    users += [
        g for g in backend.replication_groups.values()
        if g.cache_subnet_group_name == name and g.status != "deleting"
    ]
    if users:
        raise _CacheSubnetGroupInUse(f"Cache subnet group {name} is currently in use by a cache cluster.")
    group = backend.cache_subnet_groups.pop(name)
    backend.tagging_service.delete_all_tags_for_resource(group.arn)
    return EmptyResult()


elasticache_responses.ElastiCacheResponse.delete_cache_subnet_group = _delete_cache_subnet_group


# ------------------------------------------------- services moto does not list


class _Source:
    """Lists one service's resources for GetResources (and tags them for
    TagResources/UntagResources), for a service whose moto backend has no
    TaggableResourcesMixin."""

    def __init__(self, service: str, backend: Any, items: Callable[[], Iterator[tuple[str, str, dict[str, str]]]],
                 tag: Callable[[str, dict[str, str]], None], untag: Callable[[str, list[str]], None]):
        self.service, self.backend, self._items = service, backend, items
        self._tag, self._untag = tag, untag

    def iter_tagged_resources(self) -> Iterator[TaggedResource]:
        for arn, resource_type, tags in self._items():
            yield TaggedResource(arn=arn, tags=tags, resource_type=resource_type)

    def owns_arn(self, arn: str) -> bool:
        return any(arn == a for a, _, _ in self._items())

    def tag_resource(self, arn: str, tags: dict[str, str]) -> None:
        self._tag(arn, tags)

    def untag_resource(self, arn: str, tag_keys: list[str]) -> None:
        self._untag(arn, tag_keys)


def _backend(backends: Any, account_id: str, key: str) -> Any:
    """The backend already created for (account, region or partition), without creating one."""
    if account_id not in backends:
        return None
    per_account = backends[account_id]
    return per_account[key] if key in per_account.keys() else None


def _list(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags or []}


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _ecr(account_id: str, region: str) -> Iterator[_Source]:
    from moto.ecr.models import ecr_backends

    b = _backend(ecr_backends, account_id, region)
    if b is None:
        return
    yield _Source(
        "ecr", b,
        lambda: ((r.arn, "ecr:repository", b.tagger.get_tag_dict_for_resource(r.arn))
                 for r in b.repositories.values()),
        lambda arn, tags: b.tagger.tag_resource(arn, _tag_list(tags)),
        b.tagger.untag_resource_using_names,
    )


def _route53(account_id: str, region: str) -> Iterator[_Source]:
    from moto.route53.models import route53_backends

    partition = get_partition(region)
    b = _backend(route53_backends, account_id, partition)
    if b is None or _GLOBAL_REGION.get(partition) != region:
        return
    yield _Source(
        "route53", b,
        lambda: ((f"arn:{partition}:route53:::hostedzone/{z.resource_id}", "route53:hostedzone",
                  dict(b.resource_tags.get(z.resource_id, {}))) for z in b.zones.values()),
        lambda arn, tags: b.change_tags_for_resource("hostedzone", arn.rsplit("/", 1)[-1], _tag_list(tags), []),
        lambda arn, keys: b.change_tags_for_resource("hostedzone", arn.rsplit("/", 1)[-1], [], keys),
    )


def _wafv2(account_id: str, region: str) -> Iterator[_Source]:
    from moto.wafv2.models import wafv2_backends

    partition = get_partition(region)
    keys = [region] + ([partition] if _GLOBAL_REGION.get(partition) == region else [])
    for key in keys:
        b = _backend(wafv2_backends, account_id, key)
        if b is None:
            continue

        def items(b: Any = b) -> Iterator[tuple[str, str, dict[str, str]]]:
            for kind, objects in (("webacl", b.wacls), ("ipset", b.ip_sets)):
                for arn in list(objects):
                    # arn:aws:wafv2:REGION:ACCOUNT:regional|global/webacl|ipset/NAME/ID
                    scope = arn.split(":", 5)[5].split("/", 1)[0]
                    if arn.split(":")[3] == region:
                        yield arn, f"wafv2:{scope}/{kind}", b.tagging_service.get_tag_dict_for_resource(arn)

        yield _Source("wafv2", b, items,
                      lambda arn, tags, b=b: b.tag_resource(arn, _tag_list(tags)),
                      lambda arn, keys, b=b: b.untag_resource(arn, keys))


def _apigatewayv2(account_id: str, region: str) -> Iterator[_Source]:
    from moto.apigatewayv2.models import apigatewayv2_backends

    b = _backend(apigatewayv2_backends, account_id, region)
    if b is None:
        return

    def items() -> Iterator[tuple[str, str, dict[str, str]]]:
        for api in b.apis.values():
            yield api.arn, "apigateway:apis", b.get_tags(api.arn)
        for link in b.vpc_links.values():
            yield link.arn, "apigateway:vpclinks", b.get_tags(link.arn)
        for domain in b.domain_names.values():
            arn = domain.domain_name_arn
            # CreateDomainName keeps its tags on the object, TagResource in the tagger.
            yield arn, "apigateway:domainnames", {**(domain.tags or {}), **b.get_tags(arn)}

    def untag(arn: str, keys: list[str]) -> None:
        b.untag_resource(arn, keys)
        for domain in b.domain_names.values():
            if domain.domain_name_arn == arn and domain.tags:
                for k in keys:
                    domain.tags.pop(k, None)

    yield _Source("apigateway", b, items, b.tag_resource, untag)


def _memorydb(account_id: str, region: str) -> Iterator[_Source]:
    from moto.memorydb.models import memorydb_backends

    b = _backend(memorydb_backends, account_id, region)
    if b is None:
        return

    def items() -> Iterator[tuple[str, str, dict[str, str]]]:
        acls = getattr(b, "_gantry_acls", {})  # moto_memorydb_acl.py
        for kind, objects in (("cluster", b.clusters), ("user", b.users),
                              ("acl", acls), ("subnetgroup", b.subnet_groups)):
            for obj in objects.values():
                yield obj.arn, f"memorydb:{kind}", _list(b.tagger.list_tags_for_resource(obj.arn)["Tags"])

    yield _Source("memorydb", b, items,
                  lambda arn, tags: b.tagger.tag_resource(arn, _tag_list(tags)),
                  b.tagger.untag_resource_using_names)


def _servicediscovery(account_id: str, region: str) -> Iterator[_Source]:
    from moto.servicediscovery.models import servicediscovery_backends

    b = _backend(servicediscovery_backends, account_id, region)
    if b is None:
        return

    def items() -> Iterator[tuple[str, str, dict[str, str]]]:
        for kind, objects in (("namespace", b.namespaces), ("service", b.services)):
            for obj in list(objects.values()):
                yield obj.arn, f"servicediscovery:{kind}", _list(b.tagger.list_tags_for_resource(obj.arn)["Tags"])

    yield _Source("servicediscovery", b, items,
                  lambda arn, tags: b.tagger.tag_resource(arn, _tag_list(tags)),
                  b.tagger.untag_resource_using_names)


_EXTRA_SOURCES = (_ecr, _route53, _wafv2, _apigatewayv2, _memorydb, _servicediscovery)


class _InRegion:
    """A partition-wide backend (S3, CloudFront) seen from one region."""

    def __init__(self, backend: Any, keep: Callable[[TaggedResource], bool]):
        self._backend, self._keep = backend, keep

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def iter_tagged_resources(self) -> Iterator[TaggedResource]:
        return (r for r in self._backend.iter_tagged_resources() if self._keep(r))


def _scoped(backend: Any, region: str) -> Any:
    service = getattr(backend, "SERVICE_NAMESPACE", "")
    if service == "s3":
        buckets = backend.buckets

        def in_region(r: TaggedResource) -> bool:
            bucket = buckets.get(r.arn.split(":::", 1)[-1])
            return bucket is None or bucket.region_name == region

        return _InRegion(backend, in_region)
    if service == "cloudfront":
        home = _GLOBAL_REGION.get(get_partition(region))
        return _InRegion(backend, lambda r: region == home)
    return backend


_iter_taggable_backends = resource_tagging.iter_taggable_backends


def iter_taggable_backends(account_id: str, region_name: str) -> Iterator[Any]:
    for backend in _iter_taggable_backends(account_id, region_name):
        yield _scoped(backend, region_name)
    for source in _EXTRA_SOURCES:
        yield from source(account_id, region_name)


# The tagging backend imported the function by name; GetResources, GetTagKeys,
# GetTagValues, TagResources and UntagResources all go through it.
tagging_models.iter_taggable_backends = iter_taggable_backends


_get_resources = ResourceGroupsTaggingAPIResponse.get_resources


def _get_resources_by_resource_count(self: Any) -> Any:
    # A response object serves one request, so the override is this call's.
    if self._get_param("ResourcesPerPage") is not None and self._get_param("TagsPerPage") is None:
        get_int = self._get_int_param
        self._get_int_param = lambda name, default=None: 500 if name == "TagsPerPage" else get_int(name, default)
    return _get_resources(self)


ResourceGroupsTaggingAPIResponse.get_resources = _get_resources_by_resource_count


_generator = tagging_models.ResourceGroupsTaggingAPIBackend._get_resources_generator


def _listing_taken_at_once(self: Any, *args: Any, **kwargs: Any) -> Iterator[TaggedResource]:
    return iter(list(_generator(self, *args, **kwargs)))


tagging_models.ResourceGroupsTaggingAPIBackend._get_resources_generator = _listing_taken_at_once
