//! `lb_listener`: a load balancer listener and its default action (forward,
//! redirect, fixed response). Its id is the ARN. HTTPS listeners carry
//! their default certificate (`certificate_arn`) and TLS policy
//! (`ssl_policy`) on create; read reports both for HTTPS/TLS listeners only
//! (an HTTP listener has neither), the policy only when one was recorded
//! (otherwise AWS's default would show as drift); `ModifyListener` sends
//! them on change.

use super::elb::*;
use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{Certificate, Listener, ProtocolEnum};
use gantry_core::kinds::{LbListener, ListenerAction};
use crate::shape::*;
use gantry_core::*;

const NOT_FOUND: &[&str] = &["ListenerNotFound", "LoadBalancerNotFound"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

/// The default certificate of an HTTPS listener, for the API.
fn certificates(p: &LbListener) -> Option<Vec<Certificate>> {
    p.certificate_arn
        .as_ref()
        .map(|arn| vec![Certificate::builder().certificate_arn(arn).build()])
}

fn is_tls(protocol: &str) -> bool {
    matches!(protocol, "HTTPS" | "TLS")
}

fn applied(arn: &str) -> Applied {
    Applied {
        id: arn.to_string(),
        outputs: outputs([("id", arn.to_string()), ("arn", arn.to_string())]),
    }
}

impl Provider {
    async fn describe(&self, arns: Vec<String>) -> Result<Vec<Listener>, ProviderError> {
        let out = self
            .ctx
            .elb()
            .describe_listeners()
            .set_listener_arns(Some(arns))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out.listeners.unwrap_or_default())
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = LbListener;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "elasticloadbalancing:listener", |a| arn::whole(a, "elasticloadbalancing", "listener/app/"));
    const READ_BATCH: Option<usize> = Some(20);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, LbListener>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(None);
        let out = self
            .ctx
            .elb()
            .create_listener()
            .load_balancer_arn(&p.load_balancer_arn)
            .port(p.port)
            .protocol(ProtocolEnum::from(p.protocol.as_str()))
            .default_actions(to_action(&p.default_action))
            .set_certificates(certificates(p))
            .set_ssl_policy(p.ssl_policy.clone())
            .set_tags(Some(elb_tags(&tags)))
            .send()
            .await
            .map_err(Self::err)?;
        let arn = out
            .listeners()
            .first()
            .and_then(|l| l.listener_arn())
            .ok_or_else(|| ProviderError::new("MissingId", "CreateListener returned no ARN"))?;
        Ok(applied(arn))
    }

    async fn read(
        &self,
        items: &[Item<'_, LbListener>],
    ) -> Result<Vec<Seen<LbListener>>, ProviderError> {
        let mut out = Vec::new();
        for chunk in chunks(&ids(items), 20) {
            for l in batch_or_each(&chunk, |ids| self.describe(ids)).await? {
                let arn = required(l.listener_arn.clone(), "DescribeListeners", "ListenerArn")?;
                let rec = recorded_of(items, &arn);
                let protocol = l.protocol().map(|p| p.as_str()).unwrap_or_default();
                let mut unread = Vec::new();
                let (mut certificate_arn, mut ssl_policy) = (None, None);
                if is_tls(protocol) {
                    // The default certificate is the one marked so, or the
                    // only one DescribeListeners lists.
                    let certs = l.certificates();
                    certificate_arn = certs
                        .iter()
                        .find(|c| c.is_default() == Some(true))
                        .or_else(|| certs.first())
                        .and_then(|c| c.certificate_arn())
                        .map(str::to_string);
                    // Without a recorded policy AWS applies its default one;
                    // reporting it would show drift for ever.
                    if rec.and_then(|x| x.ssl_policy.as_ref()).is_some() {
                        ssl_policy = l.ssl_policy().map(str::to_string);
                    } else {
                        unread.push("ssl_policy");
                    }
                }
                // An action kind Gantry does not model is left out rather
                // than misreported.
                let default_action = match l.default_actions().first().and_then(from_action) {
                    Some(a) => a,
                    None => {
                        unread.push("default_action");
                        ListenerAction::FixedResponse {
                            status_code: String::new(),
                            content_type: String::new(),
                            message_body: String::new(),
                        }
                    }
                };
                let props = LbListener {
                    load_balancer_arn: l.load_balancer_arn().unwrap_or_default().to_string(),
                    port: l.port().unwrap_or_default(),
                    protocol: protocol.to_string(),
                    default_action,
                    certificate_arn,
                    ssl_policy,
                };
                let outputs = applied(&arn).outputs;
                out.push(Seen {
                    id: arn,
                    props,
                    unread,
                    outputs,
                });
            }
        }
        Ok(out)
    }

    async fn update(&self, req: Update<'_, LbListener>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        self.ctx
            .elb()
            .modify_listener()
            .listener_arn(req.id)
            .protocol(ProtocolEnum::from(new.protocol.as_str()))
            .default_actions(to_action(&new.default_action))
            .set_certificates(certificates(new))
            .set_ssl_policy(new.ssl_policy.clone())
            .send()
            .await
            .map_err(Self::err)?;
        Ok(applied(req.id))
    }

    async fn delete(&self, req: Delete<'_, LbListener>) -> Result<(), ProviderError> {
        self
            .ctx
            .elb()
            .delete_listener()
            .listener_arn(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, LbListener>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let out = self
            .ctx
            .elb()
            .describe_listeners()
            .load_balancer_arn(&p.load_balancer_arn)
            .send()
            .await
            .map_err(Self::err);
        let listeners = match out {
            Err(e) if e.is_not_found() => return Ok(None),
            other => other?.listeners.unwrap_or_default(),
        };
        // A port is unique per load balancer; the tags make sure it is ours.
        let arns: Vec<String> = listeners
            .iter()
            .filter(|l| l.port() == Some(p.port))
            .filter_map(|l| l.listener_arn.clone())
            .collect();
        Ok(first_tagged(&self.ctx, &arns, req.tags, req.address)
            .await?
            .map(|arn| applied(&arn)))
    }
}
