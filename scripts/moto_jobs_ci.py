"""Scheduler groups and IAM OIDC providers as AWS answers for them
(imported by moto_server.py).

Checked against moto 5.2.6; each gap is filled the way the AWS API
references describe:

- EventBridge Scheduler `DeleteScheduleGroup` of a group that does not
  exist fails inside moto (HTTP 500); AWS answers
  `ResourceNotFoundException` (404), which a second delete of a group
  already gone must see.
- IAM `AddClientIDToOpenIDConnectProvider` and
  `RemoveClientIDFromOpenIDConnectProvider` (the audiences a provider
  accepts, changed in place) are not implemented by moto. AWS adds a client
  id once (adding one it has succeeds and changes nothing) and removes one
  it does not have without error; an unknown provider is `NoSuchEntity`.

Remove each fix once moto closes its gap.
"""

from typing import Any

from moto.core.responses import EmptyResult
from moto.iam.responses import IamResponse
from moto.scheduler import models as scheduler_models
from moto.scheduler.exceptions import ScheduleGroupNotFound

_delete_group = scheduler_models.EventBridgeSchedulerBackend.delete_schedule_group


def _delete_schedule_group(self: Any, name: str | None) -> None:
    if (name or "default") not in self.schedule_groups:
        raise ScheduleGroupNotFound(name or "default")
    _delete_group(self, name)


scheduler_models.EventBridgeSchedulerBackend.delete_schedule_group = _delete_schedule_group


def _add_client_id(self: Any) -> Any:
    provider = self.backend.get_open_id_connect_provider(self._get_param("OpenIDConnectProviderArn"))
    client_id = self._get_param("ClientID")
    if client_id not in provider.client_id_list:
        provider.client_id_list.append(client_id)
    return EmptyResult()


def _remove_client_id(self: Any) -> Any:
    provider = self.backend.get_open_id_connect_provider(self._get_param("OpenIDConnectProviderArn"))
    client_id = self._get_param("ClientID")
    if client_id in provider.client_id_list:
        provider.client_id_list.remove(client_id)
    return EmptyResult()


IamResponse.add_client_id_to_open_id_connect_provider = _add_client_id  # type: ignore[attr-defined]
IamResponse.remove_client_id_from_open_id_connect_provider = _remove_client_id  # type: ignore[attr-defined]
