"""SNS email subscriptions wait for confirmation (imported by moto_server.py).

moto confirms every subscription at once. AWS confirms an `email` or
`email-json` subscription only when the address follows the link SNS mails
it; until then (three days, after which AWS drops it) the subscription is
pending, following the SNS API reference:

- Subscribe answers `pending confirmation` instead of the ARN, unless the
  call asks `ReturnSubscriptionArn=true`, which gives the ARN even then;
  subscribing the same endpoint again answers the same subscription;
- ListSubscriptionsByTopic and ListSubscriptions list it with
  `SubscriptionArn` `PendingConfirmation`;
- GetSubscriptionAttributes (by its ARN) says `PendingConfirmation`
  `true` and `ConfirmationWasAuthenticated` `false`;
- Unsubscribe refuses it (`InvalidParameter`, "Cannot unsubscribe a
  subscription that is pending confirmation", as AWS answers; the
  subscription goes with its topic, or by itself after three days).

The emulator sends no mail, so a subscription stays pending here, as it
does on AWS for an address nobody reads. Other protocols keep moto's
behaviour (confirmed at once, as AWS does for SQS and Lambda).
"""

from typing import Any

from moto.core.responses import ActionResult
from moto.sns import models as sns_models
from moto.sns.exceptions import SNSInvalidParameter
from moto.sns.responses import SNSResponse

# Protocols whose subscriptions AWS confirms only through a link it mails.
_NEEDS_CONFIRMATION = ("email", "email-json")

_subscribe = sns_models.SNSBackend.subscribe


def _subscribe_pending(self: Any, topic_arn: str, endpoint: str, protocol: str) -> Any:
    known = self._find_subscription(topic_arn, endpoint, protocol)
    subscription = _subscribe(self, topic_arn, endpoint, protocol)
    if known is None and protocol in _NEEDS_CONFIRMATION:
        subscription.confirmed = False
        subscription.attributes["PendingConfirmation"] = "true"
        subscription.attributes["ConfirmationWasAuthenticated"] = "false"
    elif known is None:
        subscription.confirmed = True
    return subscription


sns_models.SNSBackend.subscribe = _subscribe_pending


def _pending(subscription: Any) -> bool:
    return str(subscription.attributes.get("PendingConfirmation", "false")).lower() == "true"


def _listed(subscription: Any) -> dict[str, str]:
    return {
        "SubscriptionArn": "PendingConfirmation" if _pending(subscription) else subscription.arn,
        "Owner": subscription.owner,
        "Protocol": subscription.protocol,
        "Endpoint": subscription.endpoint,
        "TopicArn": subscription.topic_arn,
    }


def _subscribe_response(self: Any) -> ActionResult:
    result = _subscribe_action(self)
    arn = result.result["SubscriptionArn"]  # type: ignore[index]
    subscription = self.backend.subscriptions.get(arn)
    wants_arn = str(self._get_param("ReturnSubscriptionArn", "false")).lower() == "true"
    if subscription is not None and _pending(subscription) and not wants_arn:
        return ActionResult({"SubscriptionArn": "pending confirmation"})
    return result


_subscribe_action = SNSResponse.subscribe
SNSResponse.subscribe = _subscribe_response


def _list_by_topic(self: Any) -> ActionResult:
    subscriptions, next_token = self.backend.list_subscriptions_by_topic(
        self._get_param("TopicArn"), next_token=self._get_param("NextToken")
    )
    return ActionResult({"Subscriptions": [_listed(s) for s in subscriptions], "NextToken": next_token})


def _list_all(self: Any) -> ActionResult:
    subscriptions, next_token = self.backend.list_subscriptions(next_token=self._get_param("NextToken"))
    return ActionResult({"Subscriptions": [_listed(s) for s in subscriptions], "NextToken": next_token})


SNSResponse.list_subscriptions_by_topic = _list_by_topic
SNSResponse.list_subscriptions = _list_all


_unsubscribe = sns_models.SNSBackend.unsubscribe


def _unsubscribe_confirmed(self: Any, subscription_arn: str) -> None:
    subscription = self.subscriptions.get(subscription_arn)
    if subscription is not None and _pending(subscription):
        raise SNSInvalidParameter(
            "Invalid parameter: SubscriptionArn Reason: Cannot unsubscribe a subscription that is pending confirmation"
        )
    _unsubscribe(self, subscription_arn)


sns_models.SNSBackend.unsubscribe = _unsubscribe_confirmed
