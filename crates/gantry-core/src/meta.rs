//! Static facts about each resource kind that the plan and engine need
//! without talking to AWS. They are declared once per kind, in the table of
//! [`crate::kinds`].

use crate::kinds;

/// Metadata for one resource kind.
#[derive(Debug)]
pub struct KindMeta {
    pub kind: &'static str,
    /// The AWS service the kind's API belongs to; the engine bounds
    /// concurrency per service.
    pub service: &'static str,
    /// Top-level properties whose change forces replacement.
    pub force_new: &'static [&'static str],
    /// Top-level list properties that are sets: AWS returns them in an order
    /// of its own, so their order never counts as a change.
    pub unordered: &'static [&'static str],
    /// Top-level properties never shown in plans or written to state in
    /// plaintext.
    pub secret: &'static [&'static str],
    /// When replaced, create the new one before deleting the old (possible
    /// when names do not collide, as with task definition revisions).
    pub create_before_destroy: bool,
    /// Replaced objects kept (newest first) instead of deleted, for going
    /// back to them: task definition revisions a rollback, or ECS's own
    /// circuit breaker, returns a service to. Older ones are deleted by a
    /// later plan, and `destroy` deletes them all.
    pub keep_previous: usize,
    /// Holds user data: replacing or deleting it needs an explicit flag.
    pub data: bool,
    /// Carries the `gantry:*` tags.
    pub taggable: bool,
    /// A short human noun for messages ("VPC", "target group").
    pub noun: &'static str,
}

/// Concurrent calls per AWS service that stay under AWS's default API rate
/// limits (throttling is per service and account): the engine launches at
/// most this many operations of a service at once, and providers that fan
/// out per resource make at most this many calls of it at once.
pub const SERVICE_LIMITS: &[(&str, usize)] = &[
    ("ec2", 8),
    ("elbv2", 4),
    ("ecs", 4),
    ("iam", 4),
    ("logs", 4),
    ("ecr", 4),
];

/// The limit of a service [`SERVICE_LIMITS`] does not name.
pub const DEFAULT_SERVICE_LIMIT: usize = 4;

/// The metadata of a kind in the declaration table of [`crate::kinds`]:
/// its AWS service and a noun, refined with the builder methods below.
/// The kind's name is filled in by the table.
pub const fn meta(service: &'static str, noun: &'static str) -> KindMeta {
    KindMeta {
        kind: "",
        service,
        force_new: &[],
        unordered: &[],
        secret: &[],
        create_before_destroy: false,
        keep_previous: 0,
        data: false,
        taggable: true,
        noun,
    }
}

impl KindMeta {
    pub const fn force_new(mut self, fields: &'static [&'static str]) -> Self {
        self.force_new = fields;
        self
    }
    pub const fn unordered(mut self, fields: &'static [&'static str]) -> Self {
        self.unordered = fields;
        self
    }
    pub const fn secret(mut self, fields: &'static [&'static str]) -> Self {
        self.secret = fields;
        self
    }
    pub const fn create_before_destroy(mut self) -> Self {
        self.create_before_destroy = true;
        self
    }
    /// Keeps the `n` newest replaced objects (implies create-before-destroy).
    pub const fn keep_previous(mut self, n: usize) -> Self {
        self.create_before_destroy = true;
        self.keep_previous = n;
        self
    }
    pub const fn data(mut self) -> Self {
        self.data = true;
        self
    }
    pub const fn untagged(mut self) -> Self {
        self.taggable = false;
        self
    }
    pub(crate) const fn named(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }
}

/// Metadata for `kind`, if Gantry knows it.
pub fn kind_meta(kind: &str) -> Option<&'static KindMeta> {
    kinds::META.iter().find(|m| m.kind == kind)
}

/// Metadata of every known kind.
pub fn all() -> &'static [KindMeta] {
    kinds::META
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_metadata() {
        for k in kinds::ALL {
            assert!(kind_meta(k).is_some(), "{k} has no metadata");
        }
        assert_eq!(all().len(), kinds::ALL.len());
    }
}
