"""CloudWatch alarm states and DescribeAlarms filters (imported by
moto_server.py).

Checked against moto 5.2.6, filled following the CloudWatch API reference
(PutMetricAlarm, DescribeAlarms, MetricAlarm):

- DescribeAlarms applies one filter only (the first of ActionPrefix,
  AlarmNamePrefix, AlarmNames, StateValue) and ignores `AlarmTypes`. AWS
  applies every filter given (`AlarmNames` or `AlarmNamePrefix`, with
  `ActionPrefix`, `StateValue`, `ChildrenOfAlarmName` aside) and, without
  `AlarmTypes`, returns metric alarms only. `gantry status` asks for the
  stack's alarms (a name prefix) in ALARM.
- A new alarm starts in `OK`; AWS starts it in `INSUFFICIENT_DATA`, and a
  PutMetricAlarm of an existing alarm leaves its state unchanged (moto
  resets it).
- No `StateTransitionedTimestamp` (when the state value last changed, as
  opposed to `StateUpdatedTimestamp`, which any update of reason or data
  moves). Kept here.

Remove each fix once moto closes its gap.
"""

from typing import Any

from moto.cloudwatch import models as cw_models
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult

_STATE = (
    "state_value",
    "state_reason",
    "state_reason_data",
    "state_updated_timestamp",
    "state_transitioned_timestamp",
    "history",
)

_put = cw_models.CloudWatchBackend.put_metric_alarm


def _put_keeping_state(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    before = self.alarms.get(name)
    alarm = _put(self, name, *args, **kwargs)
    if before is not None and before is not alarm:
        for field in _STATE:
            if hasattr(before, field):
                setattr(alarm, field, getattr(before, field))
    elif before is None:
        alarm.state_value = "INSUFFICIENT_DATA"
        alarm.state_reason = "Unchecked: Initial alarm creation"
        alarm.state_transitioned_timestamp = alarm.state_updated_timestamp
    return alarm


cw_models.CloudWatchBackend.put_metric_alarm = _put_keeping_state

_update_state = cw_models.Alarm.update_state


def _update_state_transitioned(self: Any, reason: str, reason_data: str, state_value: str) -> None:
    changed = state_value != self.state_value
    _update_state(self, reason, reason_data, state_value)
    if changed or not hasattr(self, "state_transitioned_timestamp"):
        self.state_transitioned_timestamp = self.state_updated_timestamp


cw_models.Alarm.update_state = _update_state_transitioned


def _describe_alarms(self: Any) -> ActionResult:
    names = self._get_param("AlarmNames", [])
    prefix = self._get_param("AlarmNamePrefix")
    action_prefix = self._get_param("ActionPrefix")
    state = self._get_param("StateValue")
    types = self._get_param("AlarmTypes", []) or ["MetricAlarm"]
    alarms = list(self.cloudwatch_backend.alarms.values())
    if names:
        alarms = [a for a in alarms if a.name in names]
    if prefix:
        alarms = [a for a in alarms if a.name.startswith(prefix)]
    if action_prefix:
        alarms = [a for a in alarms if any(x.startswith(action_prefix) for x in a.alarm_actions)]
    if state:
        alarms = [a for a in alarms if a.state_value == state]
    for a in alarms:
        if not hasattr(a, "state_transitioned_timestamp"):
            a.state_transitioned_timestamp = a.state_updated_timestamp
    metric = [a for a in alarms if a.rule is None] if "MetricAlarm" in types else []
    composite = [a for a in alarms if a.rule is not None] if "CompositeAlarm" in types else []
    return ActionResult({"MetricAlarms": metric, "CompositeAlarms": composite})


CloudWatchResponse.describe_alarms = _describe_alarms
