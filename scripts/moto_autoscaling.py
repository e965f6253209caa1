"""Application Auto Scaling gaps for the emulator (imported by moto_server.py).

Checked against moto 5.2.6 by registering an ECS service's desired count
with a target-tracking policy and a scheduled action, each filled here
following the Application Auto Scaling API reference:

- tags: RegisterScalableTarget drops its `Tags`, and ListTagsForResource,
  TagResource and UntagResource are not implemented (HTTP 500). Here a
  scalable target keeps its tags (given at register, merged by
  TagResource), and an unknown ARN is `ResourceNotFoundException`;
- not found: DeregisterScalableTarget and DeleteScalingPolicy of what does
  not exist answer `ValidationException`, and DeleteScheduledAction
  succeeds; AWS answers `ObjectNotFoundException` for all three;
- DeregisterScalableTarget leaves the target's scaling policies (and
  their target-tracking alarms) and scheduled actions behind; AWS deletes
  them with it.

Remove each fix once moto closes its gap.
"""

from typing import Any

from moto.applicationautoscaling import models as aas_models
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.exceptions import JsonRESTError
import json


class _ObjectNotFound(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("ObjectNotFoundException", message)


class _ResourceNotFound(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("ResourceNotFoundException", message)


def _tags(backend: Any) -> dict[str, dict[str, str]]:
    """Tags by scalable target ARN, kept on the backend."""
    if not hasattr(backend, "_gantry_tags"):
        backend._gantry_tags = {}
    return backend._gantry_tags


def _target_by_arn(backend: Any, arn: str) -> Any:
    for per_dimension in backend.targets.values():
        for target in per_dimension.values():
            if target.arn == arn:
                return target
    return None


_register = ApplicationAutoScalingResponse.register_scalable_target


def _register_with_tags(self: Any) -> str:
    out = _register(self)
    tags = self._get_param("Tags") or {}
    if tags:
        arn = json.loads(out)["ScalableTargetARN"]
        _tags(self.applicationautoscaling_backend).setdefault(arn, {}).update(tags)
    return out


def _list_tags(self: Any) -> str:
    backend = self.applicationautoscaling_backend
    arn = self._get_param("ResourceARN")
    if _target_by_arn(backend, arn) is None:
        raise _ResourceNotFound(f"No scalable target found for ARN {arn}")
    return json.dumps({"Tags": dict(_tags(backend).get(arn, {}))})


def _tag(self: Any) -> str:
    backend = self.applicationautoscaling_backend
    arn = self._get_param("ResourceARN")
    if _target_by_arn(backend, arn) is None:
        raise _ResourceNotFound(f"No scalable target found for ARN {arn}")
    _tags(backend).setdefault(arn, {}).update(self._get_param("Tags") or {})
    return json.dumps({})


def _untag(self: Any) -> str:
    backend = self.applicationautoscaling_backend
    arn = self._get_param("ResourceARN")
    if _target_by_arn(backend, arn) is None:
        raise _ResourceNotFound(f"No scalable target found for ARN {arn}")
    for key in self._get_param("TagKeys") or []:
        _tags(backend).get(arn, {}).pop(key, None)
    return json.dumps({})


ApplicationAutoScalingResponse.register_scalable_target = _register_with_tags
ApplicationAutoScalingResponse.list_tags_for_resource = _list_tags
ApplicationAutoScalingResponse.tag_resource = _tag
ApplicationAutoScalingResponse.untag_resource = _untag


def _deregister(self: Any, namespace: str, r_id: str, dimension: str) -> None:
    target = self.targets.get(dimension, {}).get(r_id)
    if target is None:
        raise _ObjectNotFound(
            f"No scalable target registered for service namespace: {namespace}, "
            f"resource ID: {r_id}, scalable dimension: {dimension}"
        )
    for key, policy in list(self.policies.items()):
        if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (namespace, r_id, dimension):
            policy.delete_alarms(self.account_id, self.region_name)
            del self.policies[key]
    self.scheduled_actions = [
        a for a in self.scheduled_actions
        if (a.service_namespace, a.resource_id, a.scalable_dimension) != (namespace, r_id, dimension)
    ]
    _tags(self).pop(target.arn, None)
    del self.targets[dimension][r_id]


_delete_policy = aas_models.ApplicationAutoscalingBackend.delete_scaling_policy


def _delete_policy_not_found(self: Any, policy_name: str, service_namespace: str, resource_id: str,
                             scalable_dimension: str) -> None:
    key = aas_models.FakeApplicationAutoscalingPolicy.formulate_key(
        service_namespace, resource_id, scalable_dimension, policy_name
    )
    if key not in self.policies:
        raise _ObjectNotFound(
            f"No scaling policy found for service namespace: {service_namespace}, resource ID: "
            f"{resource_id}, scalable dimension: {scalable_dimension}, policy name: {policy_name}"
        )
    _delete_policy(self, policy_name, service_namespace, resource_id, scalable_dimension)


_delete_action = aas_models.ApplicationAutoscalingBackend.delete_scheduled_action


def _delete_action_not_found(self: Any, service_namespace: str, scheduled_action_name: str, resource_id: str,
                             scalable_dimension: str) -> None:
    known = any(
        (a.service_namespace, a.scheduled_action_name, a.resource_id, a.scalable_dimension)
        == (service_namespace, scheduled_action_name, resource_id, scalable_dimension)
        for a in self.scheduled_actions
    )
    if not known:
        raise _ObjectNotFound(
            f"No scheduled action found for service namespace: {service_namespace}, resource ID: "
            f"{resource_id}, scalable dimension: {scalable_dimension}, scheduled action name: {scheduled_action_name}"
        )
    _delete_action(self, service_namespace, scheduled_action_name, resource_id, scalable_dimension)


aas_models.ApplicationAutoscalingBackend.deregister_scalable_target = _deregister
aas_models.ApplicationAutoscalingBackend.delete_scaling_policy = _delete_policy_not_found
aas_models.ApplicationAutoscalingBackend.delete_scheduled_action = _delete_action_not_found
