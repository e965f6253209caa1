//! `lb_listener`: a load balancer listener and its default action (forward,
//! redirect, fixed response). Its id is the ARN. HTTPS listeners carry
//! their default certificate (`certificate_arn`) and TLS policy
//! (`ssl_policy`) on create; read reports both for HTTPS/TLS listeners only
//! (an HTTP listener has neither), the policy only when one was recorded
//! (otherwise AWS's default would show as drift); `ModifyListener` sends
//! them on change.

use super::elb::*;
use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{Certificate, Listener, ProtocolEnum};
use gantry_core::kinds::{self, LbListener};
use gantry_core::*;
use std::collections::HashMap;

const NOT_FOUND: &[&str] = &["ListenerNotFound", "LoadBalancerNotFound"];

pub struct LbListenerProvider {
    pub(crate) ctx: AwsContext,
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

impl LbListenerProvider {
    async fn describe(&self, arns: Vec<String>) -> Result<Vec<Listener>, ProviderError> {
        let out = self
            .ctx
            .elb()
            .describe_listeners()
            .set_listener_arns(Some(arns))
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND))?;
        Ok(out.listeners.unwrap_or_default())
    }
}

#[async_trait]
impl Provider for LbListenerProvider {
    fn kind(&self) -> &'static str {
        kinds::LB_LISTENER
    }

    async fn create(&self, req: CreateRequest<'_>) -> Result<Applied, ProviderError> {
        let p: LbListener = parse(kinds::LB_LISTENER, req.props)?;
        let tags = tag_set(req.tags, req.address, None);
        let out = self
            .ctx
            .elb()
            .create_listener()
            .load_balancer_arn(&p.load_balancer_arn)
            .port(p.port)
            .protocol(ProtocolEnum::from(p.protocol.as_str()))
            .default_actions(to_action(&p.default_action))
            .set_certificates(certificates(&p))
            .set_ssl_policy(p.ssl_policy.clone())
            .set_tags(Some(elb_tags(&tags)))
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        let arn = out
            .listeners()
            .first()
            .and_then(|l| l.listener_arn())
            .ok_or_else(|| ProviderError::new("MissingId", "CreateListener returned no ARN"))?;
        Ok(applied(arn))
    }

    async fn read(&self, reqs: &[ReadRequest<'_>]) -> Result<Vec<Option<Observed>>, ProviderError> {
        let ids: Vec<String> = reqs.iter().map(|r| r.id.to_string()).collect();
        let mut found = HashMap::new();
        for chunk in chunks(&ids, 20) {
            for l in batch_or_each(&chunk, |ids| self.describe(ids)).await? {
                if let Some(arn) = l.listener_arn.clone() {
                    found.insert(arn, l);
                }
            }
        }
        Ok(reqs
            .iter()
            .map(|r| {
                let l = found.get(r.id)?;
                let action = l.default_actions().first().and_then(from_action);
                let mut props = Props::new();
                props.insert(
                    "load_balancer_arn".into(),
                    l.load_balancer_arn().unwrap_or_default().into(),
                );
                props.insert("port".into(), l.port().unwrap_or_default().into());
                props.insert(
                    "protocol".into(),
                    l.protocol().map(|p| p.as_str()).unwrap_or_default().into(),
                );
                let protocol = l.protocol().map(|p| p.as_str()).unwrap_or_default();
                if is_tls(protocol) {
                    // The default certificate is the one marked so, or the
                    // only one DescribeListeners lists.
                    let certs = l.certificates();
                    let cert = certs
                        .iter()
                        .find(|c| c.is_default() == Some(true))
                        .or_else(|| certs.first())
                        .and_then(|c| c.certificate_arn());
                    if let Some(c) = cert {
                        props.insert("certificate_arn".into(), c.into());
                    }
                    // Without a recorded policy AWS applies its default one;
                    // reporting it would show drift for ever.
                    let rec_policy = recorded::<LbListener>(r.props).and_then(|x| x.ssl_policy);
                    if let (Some(s), Some(_)) = (l.ssl_policy(), rec_policy) {
                        props.insert("ssl_policy".into(), s.into());
                    }
                }
                // An action kind Gantry does not model is left out rather than
                // misreported.
                if let Some(a) = action {
                    props.insert(
                        "default_action".into(),
                        serde_json::to_value(a).unwrap_or_default(),
                    );
                }
                Some(Observed {
                    props,
                    outputs: applied(r.id).outputs,
                })
            })
            .collect())
    }

    async fn update(&self, req: UpdateRequest<'_>) -> Result<Applied, ProviderError> {
        let new: LbListener = parse(kinds::LB_LISTENER, req.new)?;
        self.ctx
            .elb()
            .modify_listener()
            .listener_arn(req.id)
            .protocol(ProtocolEnum::from(new.protocol.as_str()))
            .default_actions(to_action(&new.default_action))
            .set_certificates(certificates(&new))
            .set_ssl_policy(new.ssl_policy.clone())
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND))?;
        Ok(applied(req.id))
    }

    async fn delete(&self, req: DeleteRequest<'_>) -> Result<(), ProviderError> {
        let r = self
            .ctx
            .elb()
            .delete_listener()
            .listener_arn(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_error(e, NOT_FOUND));
        ignore_not_found(r)
    }

    async fn find(&self, req: FindRequest<'_>) -> Result<Option<Applied>, ProviderError> {
        let p: LbListener = parse(kinds::LB_LISTENER, req.props)?;
        let out = self
            .ctx
            .elb()
            .describe_listeners()
            .load_balancer_arn(&p.load_balancer_arn)
            .send()
            .await
            .map_err(|e| aws_error(e, NOT_FOUND));
        let listeners = match out {
            Err(e) if e.not_found => return Ok(None),
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
