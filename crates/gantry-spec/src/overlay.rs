//! Applying an environment overlay to the base spec.
//!
//! The merge happens on spec types (not the model) so that every merged value
//! keeps the position it was written at: a bad `memory` set by the `prod`
//! overlay is reported at the overlay's line, not the base's.

use crate::span::Sp;
use crate::types::{Overlay, Spec};

/// The environment used when the user names none.
pub const DEFAULT_ENV: &str = "dev";

impl Spec {
    /// Environment names the spec accepts: the overlays' plus `dev`, which
    /// always exists (the base spec unchanged) so a spec without overlays works.
    pub fn environment_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.environments.keys().map(|k| k.value.clone()).collect();
        if !names.iter().any(|n| n == DEFAULT_ENV) {
            names.push(DEFAULT_ENV.to_string());
        }
        names.sort();
        names
    }

    /// The spec with environment `env`'s overlay applied, or `None` when the
    /// environment is unknown. Overlay entries naming unknown services or
    /// containers are ignored here; validation reports them.
    pub fn for_env(&self, env: &str) -> Option<Spec> {
        match self.environments.get(env) {
            Some(o) => Some(self.merged(o)),
            None if env == DEFAULT_ENV => Some(self.clone()),
            None => None,
        }
    }

    fn merged(&self, o: &Overlay) -> Spec {
        let mut s = self.clone();
        if let Some(n) = &o.network {
            if n.azs.is_some() {
                s.network.azs = n.azs.clone();
            }
            if n.egress.is_some() {
                s.network.egress = n.egress.clone();
            }
            if n.flow_logs.is_some() {
                s.network.flow_logs = n.flow_logs.clone();
            }
        }
        for (name, so) in &o.services {
            let Some(svc) = s.services.get_mut(&name.value) else {
                continue;
            };
            set(&mut svc.desired_count, &so.desired_count);
            set(&mut svc.cpu, &so.cpu);
            set(&mut svc.memory, &so.memory);
            set(&mut svc.log_retention, &so.log_retention);
            if let Some(sc) = &so.scaling {
                let base = &mut svc
                    .scaling
                    .get_or_insert_with(|| Sp::at(Default::default(), sc.pos))
                    .value;
                set(&mut base.min, &sc.min);
                set(&mut base.max, &sc.max);
                set(&mut base.cpu, &sc.cpu);
                set(&mut base.memory, &sc.memory);
                set(&mut base.requests_per_target, &sc.requests_per_target);
                if let Some(list) = &sc.schedule {
                    base.schedule = list.clone();
                }
            }
            for (cname, co) in &so.containers {
                let Some(c) = svc.containers.get_mut(&cname.value) else {
                    continue;
                };
                set(&mut c.cpu, &co.cpu);
                set(&mut c.memory, &co.memory);
                if co.image.is_some() {
                    // An explicit image replaces a local build for this environment.
                    c.image = co.image.clone();
                    c.build = None;
                }
                for (k, v) in &co.environment {
                    c.environment.remove(&k.value);
                    c.environment.insert(k.clone(), v.clone());
                }
            }
        }
        for (name, po) in &o.postgres {
            let Some(db) = s.postgres.get_mut(&name.value) else {
                continue;
            };
            let db = db.get_or_insert_with(Default::default);
            set(&mut db.multi_az, &po.multi_az);
            set(&mut db.instance_class, &po.instance_class);
            set(&mut db.deletion_protection, &po.deletion_protection);
        }
        if let Some(d) = &o.domain {
            if let Some(dom) = &mut s.domain {
                set(&mut dom.subdomain, &d.subdomain);
            }
        }
        for (name, lo) in &o.load_balancers {
            let lb = s.load_balancers.entry(name.clone()).or_default();
            if let Some(h) = &lo.hosts {
                lb.hosts = h.clone();
            }
            set(&mut lb.idle_timeout, &lo.idle_timeout);
            set(&mut lb.waf, &lo.waf);
        }
        if let Some(w) = &o.waf {
            let waf = s.waf.get_or_insert_with(Default::default);
            set(&mut waf.enabled, &w.enabled);
            set(&mut waf.rules, &w.rules);
            set(&mut waf.rate_limit, &w.rate_limit);
            if !w.allow_ips.is_empty() {
                waf.allow_ips = w.allow_ips.clone();
            }
            if !w.deny_ips.is_empty() {
                waf.deny_ips = w.deny_ips.clone();
            }
        }
        if let (Some(so), Some(site)) = (&o.site, &mut s.site) {
            set(&mut site.host, &so.host);
            set(&mut site.cache, &so.cache);
            set(&mut site.price_class, &so.price_class);
        }
        if let (Some(ao), Some(api)) = (&o.api, &mut s.api) {
            set(&mut api.value.rate_limit, &ao.rate_limit);
            set(&mut api.value.burst_limit, &ao.burst_limit);
        }
        if let Some(ao) = &o.alerts {
            let a = &mut s
                .alerts
                .get_or_insert_with(|| Sp::at(Default::default(), ao.pos))
                .value;
            set(&mut a.enabled, &ao.enabled);
            if let Some(list) = &ao.email {
                a.email = list.clone();
            }
            if let Some(t) = &ao.thresholds {
                let b = &mut a.thresholds;
                set(&mut b.cpu, &t.cpu);
                set(&mut b.memory, &t.memory);
                set(&mut b.http_5xx, &t.http_5xx);
                set(&mut b.response_time, &t.response_time);
                set(&mut b.unhealthy_targets, &t.unhealthy_targets);
                set(&mut b.db_cpu, &t.db_cpu);
                set(&mut b.db_free_storage_gib, &t.db_free_storage_gib);
                set(&mut b.db_connections, &t.db_connections);
                set(&mut b.redis_memory, &t.redis_memory);
                set(&mut b.redis_cpu, &t.redis_cpu);
                set(&mut b.api_5xx, &t.api_5xx);
                set(&mut b.site_5xx_rate, &t.site_5xx_rate);
            }
        }
        set(&mut s.dashboard, &o.dashboard);
        if let (Some(ao), Some(auth)) = (&o.auth, &mut s.auth) {
            set(&mut auth.value.mfa, &ao.mfa);
            if let Some(u) = &ao.callback_urls {
                auth.value.callback_urls = u.clone();
            }
            if let Some(u) = &ao.logout_urls {
                auth.value.logout_urls = u.clone();
            }
        }
        if let Some(u) = &o.usage {
            s.usage = Some(s.usage.clone().unwrap_or_default().overlaid(u));
        }
        if let (Some(co), Some(ci)) = (&o.ci, &mut s.ci) {
            ci.merge(co);
        }
        for (name, ro) in &o.redis {
            let Some(r) = s.redis.get_mut(&name.value) else {
                continue;
            };
            let r = r.get_or_insert_with(Default::default);
            set(&mut r.replicas, &ro.replicas);
            set(&mut r.node_type, &ro.node_type);
        }
        s
    }
}

fn set<T: Clone>(dst: &mut Option<T>, src: &Option<T>) {
    if src.is_some() {
        *dst = src.clone();
    }
}
