//! `security_group`: a VPC security group and its exact rule set. Rules are
//! diffed one source at a time against what AWS holds (not the record), so
//! nothing is authorized twice (the emulator would store an SG→SG rule twice)
//! and rules added by hand are revoked.

use super::ec2::*;
use crate::context::AwsContext;
use crate::error::has_code;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, ResourceType, SecurityGroup as AwsSg, UserIdGroupPair,
};
use gantry_core::kinds::{SecurityGroup, SgRule};
use crate::shape::*;
use gantry_core::*;
use std::collections::{BTreeMap, HashMap};

const NOT_FOUND: &[&str] = &["InvalidGroup.NotFound", "InvalidGroupId.NotFound"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn all_traffic(protocol: &str) -> bool {
    protocol == "-1" || protocol.eq_ignore_ascii_case("all")
}

/// Identity of a rule for diffing; ports mean nothing for all-traffic rules
/// (AWS drops them), so they are left out of the key then.
fn key(
    r: &SgRule,
) -> (
    String,
    i32,
    i32,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
) {
    let (from, to) = if all_traffic(&r.protocol) {
        (-1, -1)
    } else {
        (r.from_port, r.to_port)
    };
    let protocol = if all_traffic(&r.protocol) {
        "-1".to_string()
    } else {
        r.protocol.to_ascii_lowercase()
    };
    (
        protocol,
        from,
        to,
        r.cidr_ipv4.clone(),
        r.cidr_ipv6.clone(),
        r.source_security_group_id.clone(),
        r.description.clone(),
    )
}

/// One AWS permission per gantry rule (one source each).
fn flatten(perms: &[IpPermission]) -> Vec<SgRule> {
    let mut out = Vec::new();
    for p in perms {
        let protocol = p.ip_protocol().unwrap_or("-1").to_string();
        let (from, to) = (p.from_port().unwrap_or(-1), p.to_port().unwrap_or(-1));
        let rule = |description: Option<&str>| SgRule {
            protocol: protocol.clone(),
            from_port: from,
            to_port: to,
            cidr_ipv4: None,
            cidr_ipv6: None,
            source_security_group_id: None,
            description: description.unwrap_or_default().to_string(),
        };
        for r in p.ip_ranges() {
            out.push(SgRule {
                cidr_ipv4: r.cidr_ip().map(str::to_string),
                ..rule(r.description())
            });
        }
        for r in p.ipv6_ranges() {
            out.push(SgRule {
                cidr_ipv6: r.cidr_ipv6().map(str::to_string),
                ..rule(r.description())
            });
        }
        for g in p.user_id_group_pairs() {
            out.push(SgRule {
                source_security_group_id: g.group_id().map(str::to_string),
                ..rule(g.description())
            });
        }
    }
    out
}

/// Canonical rules as read: deduplicated (the emulator may hold copies),
/// all-traffic ports taken from the record (or 0) since AWS does not keep them,
/// sorted.
fn canonical(actual: Vec<SgRule>, recorded: &[SgRule]) -> Vec<SgRule> {
    let mut by_key: BTreeMap<_, SgRule> = BTreeMap::new();
    for mut r in actual {
        if all_traffic(&r.protocol) {
            let k = key(&r);
            let (from, to) = recorded
                .iter()
                .find(|x| key(x) == k)
                .map(|x| (x.from_port, x.to_port))
                .unwrap_or((0, 0));
            r.from_port = from;
            r.to_port = to;
        }
        by_key.entry(key(&r)).or_insert(r);
    }
    // Same rules as recorded: keep the recorded order, so order is no drift.
    let rec_keys: std::collections::BTreeSet<_> = recorded.iter().map(key).collect();
    if rec_keys.len() == recorded.len() && rec_keys.iter().eq(by_key.keys()) {
        return recorded.to_vec();
    }
    let mut v: Vec<SgRule> = by_key.into_values().collect();
    v.sort();
    v
}

fn permission(r: &SgRule) -> IpPermission {
    let desc = (!r.description.is_empty()).then(|| r.description.clone());
    let mut p = IpPermission::builder();
    if all_traffic(&r.protocol) {
        p = p.ip_protocol("-1");
    } else {
        p = p
            .ip_protocol(&r.protocol)
            .from_port(r.from_port)
            .to_port(r.to_port);
    }
    if let Some(c) = &r.cidr_ipv4 {
        p = p.ip_ranges(
            IpRange::builder()
                .cidr_ip(c)
                .set_description(desc.clone())
                .build(),
        );
    }
    if let Some(c) = &r.cidr_ipv6 {
        p = p.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(c)
                .set_description(desc.clone())
                .build(),
        );
    }
    if let Some(g) = &r.source_security_group_id {
        p = p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(g)
                .set_description(desc)
                .build(),
        );
    }
    p.build()
}

/// (to revoke, to authorize).
fn rule_diff(have: &[SgRule], want: &[SgRule]) -> (Vec<IpPermission>, Vec<IpPermission>) {
    let h: BTreeMap<_, &SgRule> = have.iter().map(|r| (key(r), r)).collect();
    let w: BTreeMap<_, &SgRule> = want.iter().map(|r| (key(r), r)).collect();
    let revoke = h
        .iter()
        .filter(|(k, _)| !w.contains_key(*k))
        .map(|(_, r)| permission(r))
        .collect();
    let add = w
        .iter()
        .filter(|(k, _)| !h.contains_key(*k))
        .map(|(_, r)| permission(r))
        .collect();
    (revoke, add)
}

impl Provider {
    async fn describe(&self, ids: Vec<String>) -> Result<Vec<AwsSg>, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_security_groups()
            .filters(filter("group-id", ids))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out.security_groups.unwrap_or_default())
    }

    /// Brings ingress and egress to exactly `want`; revokes first so a rule
    /// whose description changed is not rejected as a duplicate. Each pass
    /// diffs against a fresh describe: a rule already revoked
    /// (`InvalidPermission.NotFound`) or already there
    /// (`InvalidPermission.Duplicate`) means an earlier attempt took effect
    /// without its reply, and the next pass sees it done.
    async fn sync_rules(&self, id: &str, want: &SecurityGroup) -> Result<(), ProviderError> {
        const SETTLED: &[&str] = &["InvalidPermission.NotFound", "InvalidPermission.Duplicate"];
        let mut last = None;
        // A pass that changes something is checked by the next one.
        for _ in 0..4 {
            match self.sync_once(id, want).await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) if has_code(&e, SETTLED) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            ProviderError::new(
                "RulesNotSettled",
                format!("the rules of {id} still differ after four passes"),
            )
        }))
    }

    /// One pass of [`Provider::sync_rules`]; `true` when nothing was left
    /// to change.
    async fn sync_once(&self, id: &str, want: &SecurityGroup) -> Result<bool, ProviderError> {
        let sg = self
            .describe(vec![id.to_string()])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ProviderError::not_found(format!("security group {id} is gone")))?;
        let ec2 = self.ctx.ec2();
        let (revoke_in, add_in) = rule_diff(&flatten(sg.ip_permissions()), &want.ingress);
        let (revoke_out, add_out) = rule_diff(&flatten(sg.ip_permissions_egress()), &want.egress);
        if revoke_in.is_empty() && add_in.is_empty() && revoke_out.is_empty() && add_out.is_empty() {
            return Ok(true);
        }
        if !revoke_in.is_empty() {
            ec2.revoke_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(revoke_in))
                .send()
                .await
                .map_err(Self::err)?;
        }
        if !add_in.is_empty() {
            ec2.authorize_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(add_in))
                .send()
                .await
                .map_err(Self::err)?;
        }
        if !revoke_out.is_empty() {
            ec2.revoke_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(revoke_out))
                .send()
                .await
                .map_err(Self::err)?;
        }
        if !add_out.is_empty() {
            ec2.authorize_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(add_out))
                .send()
                .await
                .map_err(Self::err)?;
        }
        Ok(false)
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = SecurityGroup;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "ec2:security-group", |a| arn::after(a, "ec2", "security-group/"));
    const READ_BATCH: Option<usize> = Some(200);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, SecurityGroup>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags = req.tag_set(Some(&p.name));
        let out = self
            .ctx
            .ec2()
            .create_security_group()
            .group_name(&p.name)
            .description(&p.description)
            .vpc_id(&p.vpc_id)
            .tag_specifications(tag_spec(ResourceType::SecurityGroup, &tags))
            .send()
            .await
            .map_err(Self::err)?;
        let id = out
            .group_id
            .ok_or_else(|| missing_id("CreateSecurityGroup"))?;
        // Also removes the allow-all egress rule AWS adds to every new group
        // unless the spec asks for it.
        self.sync_rules(&id, p).await?;
        Ok(applied_id(id))
    }

    async fn read(&self, items: &[Item<'_, SecurityGroup>]) -> Result<Vec<Seen<SecurityGroup>>, ProviderError> {
        let ids = ids(items);
        let mut found = HashMap::new();
        for chunk in chunks(&ids, 200) {
            for sg in self.describe(chunk).await? {
                if let Some(id) = sg.group_id.clone() {
                    found.insert(id, sg);
                }
            }
        }
        Ok(items
            .iter()
            .filter_map(|r| {
                let sg = found.get(r.id)?;
                let rec: Option<SecurityGroup> = r.recorded.clone();
                let (ri, re) = rec.map(|g| (g.ingress, g.egress)).unwrap_or_default();
                let props = SecurityGroup {
                    name: sg.group_name().unwrap_or_default().to_string(),
                    description: sg.description().unwrap_or_default().to_string(),
                    vpc_id: sg.vpc_id().unwrap_or_default().to_string(),
                    ingress: canonical(flatten(sg.ip_permissions()), &ri),
                    egress: canonical(flatten(sg.ip_permissions_egress()), &re),
                };
                Some(Seen::new(r.id, props, applied_id(r.id.to_string()).outputs))
            })
            .collect())
    }

    async fn update(&self, req: Update<'_, SecurityGroup>) -> Result<Applied, ProviderError> {
        let new = &req.new;
        self.sync_rules(req.id, new).await?;
        Ok(applied_id(req.id.to_string()))
    }

    async fn delete(&self, req: Delete<'_, SecurityGroup>) -> Result<(), ProviderError> {
        // Network interfaces of deleted tasks and load balancers keep the group
        // in use for a while after their owners are gone.
        retry_codes(
            &["DependencyViolation", "InvalidGroup.InUse"],
            DEPENDENCY_WAIT,
            || async {
                self.ctx
                    .ec2()
                    .delete_security_group()
                    .group_id(req.id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(Self::err)
            },
        )
        .await
    }

    async fn find(&self, req: Find<'_, SecurityGroup>) -> Result<Option<Applied>, ProviderError> {
        let out = self
            .ctx
            .ec2()
            .describe_security_groups()
            .set_filters(Some(stack_filters(req.tags, req.address)))
            .send()
            .await
            .map_err(Self::err)?;
        let Some(sg) = out
            .security_groups
            .unwrap_or_default()
            .into_iter()
            .find(|g| ec2_tags_match(g.tags.as_deref(), req.tags, req.address))
        else {
            return Ok(None);
        };
        let id = sg
            .group_id
            .ok_or_else(|| missing_id("DescribeSecurityGroups"))?;
        Ok(Some(applied_id(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(port: i32, cidr: &str, desc: &str) -> SgRule {
        SgRule {
            protocol: "tcp".into(),
            from_port: port,
            to_port: port,
            cidr_ipv4: Some(cidr.into()),
            cidr_ipv6: None,
            source_security_group_id: None,
            description: desc.into(),
        }
    }

    #[test]
    fn diff_is_exact() {
        let have = vec![
            rule(80, "0.0.0.0/0", "http"),
            rule(443, "0.0.0.0/0", "https"),
        ];
        let want = vec![
            rule(443, "0.0.0.0/0", "https"),
            rule(8080, "10.0.0.0/16", "app"),
        ];
        let (revoke, add) = rule_diff(&have, &want);
        assert_eq!(revoke.len(), 1);
        assert_eq!(revoke[0].from_port(), Some(80));
        assert_eq!(add.len(), 1);
        assert_eq!(add[0].from_port(), Some(8080));
        let (revoke, add) = rule_diff(&want, &want);
        assert!(revoke.is_empty() && add.is_empty());
    }

    #[test]
    fn all_traffic_ports_come_from_the_record() {
        let rec = SgRule {
            protocol: "-1".into(),
            from_port: 0,
            to_port: 0,
            ..rule(0, "0.0.0.0/0", "all")
        };
        let read = SgRule {
            from_port: -1,
            to_port: -1,
            ..rec.clone()
        };
        assert_eq!(
            canonical(vec![read.clone(), read], std::slice::from_ref(&rec)),
            vec![rec]
        );
    }
}
