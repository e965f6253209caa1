//! `s3_bucket_policy`: the policy of a bucket CloudFront serves, or of a
//! public bucket. Gantry renders the whole document (statements with fixed
//! `Sid`s: CloudFront read through Origin Access Control, scoped by
//! `AWS:SourceArn` to the named distributions; public read of the objects
//! (`s3:GetObject` to `*`, never list or write); and a deny of plain-HTTP
//! requests), so read parses them back out by the `Sid`s it owns: a missing
//! TLS statement reads as `deny_insecure_transport: false`, a missing
//! CloudFront statement as no distribution, a missing public statement as
//! not public, and update puts Gantry's document back. The id is the
//! bucket name. Bucket policies carry no tags: find adopts a policy with a
//! read statement Gantry wrote.

use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use gantry_core::kinds::{self, S3BucketPolicy};
use crate::shape::*;
use gantry_core::*;
use serde_json::{json, Value};

const NOT_FOUND: &[&str] = &["NoSuchBucket", "NoSuchBucketPolicy"];
const CLOUDFRONT_SID: &str = "GantryCloudFrontRead";
const TLS_SID: &str = "GantryDenyInsecureTransport";
const PUBLIC_SID: &str = "GantryPublicRead";

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(bucket: &str) -> Applied {
    Applied {
        id: bucket.to_string(),
        outputs: outputs([("id", bucket.to_string())]),
    }
}

/// The policy document for `p`.
pub(crate) fn document(p: &S3BucketPolicy) -> Value {
    let mut arns = p.cloudfront_distribution_arns.clone();
    arns.sort();
    let mut statements = Vec::new();
    if !arns.is_empty() {
        statements.push(json!({
                "Sid": CLOUDFRONT_SID,
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": format!("{}/*", p.bucket_arn),
                "Condition": {"StringEquals": {"AWS:SourceArn": arns}},
        }));
    }
    if p.public_read {
        // Objects only: no `s3:ListBucket`, no write.
        statements.push(json!({
                "Sid": PUBLIC_SID,
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": format!("{}/*", p.bucket_arn),
        }));
    }
    if p.deny_insecure_transport {
        statements.push(json!({
                "Sid": TLS_SID,
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [p.bucket_arn.clone(), format!("{}/*", p.bucket_arn)],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// A JSON string or list of strings as a list.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// What of `doc` Gantry recognises: the distributions of its CloudFront
/// statement, whether its public read statement is there (`None` when
/// neither is), and whether the TLS deny is intact.
fn parse_document(doc: &Value) -> Option<(Vec<String>, bool, bool)> {
    let statements = doc.get("Statement")?.as_array()?;
    fn sid(s: &Value) -> Option<&str> {
        s.get("Sid").and_then(Value::as_str)
    }
    let cf = statements.iter().find(|s| sid(s) == Some(CLOUDFRONT_SID));
    // Public read as Gantry writes it: objects only, GetObject only.
    let public = statements.iter().any(|s| {
        sid(s) == Some(PUBLIC_SID)
            && s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && strings(s.get("Action")) == ["s3:GetObject"]
            && strings(s.get("Resource")).iter().all(|r| r.ends_with("/*"))
    });
    if cf.is_none() && !public {
        return None;
    }
    let arns = cf.map_or_else(Vec::new, |cf| {
        strings(
            cf.pointer("/Condition/StringEquals/AWS:SourceArn")
                .or_else(|| cf.pointer("/Condition/StringEquals/aws:SourceArn")),
        )
    });
    let tls = statements.iter().any(|s| {
        sid(s) == Some(TLS_SID)
            && s.get("Effect").and_then(Value::as_str) == Some("Deny")
            && s.pointer("/Condition/Bool/aws:SecureTransport")
                .is_some_and(|v| v.as_str() == Some("false") || v.as_bool() == Some(false))
    });
    Some((arns, public, tls))
}

impl Provider {
    async fn get(&self, bucket: &str) -> Result<Option<Value>, ProviderError> {
        let got = self
            .ctx
            .s3()
            .get_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .map_err(Self::err);
        Ok(found(got)?.and_then(|o| o.policy().and_then(|p| serde_json::from_str(p).ok())))
    }

    async fn put(&self, p: &S3BucketPolicy) -> Result<(), ProviderError> {
        self.ctx
            .s3()
            .put_bucket_policy()
            .bucket(&p.bucket)
            .policy(document(p).to_string())
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = S3BucketPolicy;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = Listing::Inside(kinds::S3_BUCKET);

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, S3BucketPolicy>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        self.put(p).await?;
        Ok(applied(&p.bucket))
    }

    async fn read(&self, items: &[Item<'_, S3BucketPolicy>]) -> Result<Vec<Seen<S3BucketPolicy>>, ProviderError> {
        each::<Self, _, _>(&self.ctx, items, |id, rec| async move {
            let Some(doc) = self.get(&id).await? else {
                return Ok(None);
            };
            let bucket_arn = format!("arn:aws:s3:::{}", &id);
            // A document Gantry no longer recognises (its statements edited
            // away) reads as granting no distribution, so the plan puts it back.
            let (arns, public_read, tls) = parse_document(&doc).unwrap_or_default();
            let arns = order_like(
                arns,
                rec.as_ref()
                    .map(|p| p.cloudfront_distribution_arns.as_slice())
                    .unwrap_or_default(),
            );
            let p = S3BucketPolicy {
                bucket: id.clone(),
                bucket_arn,
                cloudfront_distribution_arns: arns,
                deny_insecure_transport: tls,
                public_read,
            };
            Ok(Some(Seen::new(id.clone(), p, applied(&id).outputs)))
        })
        .await
    }

    async fn update(&self, req: Update<'_, S3BucketPolicy>) -> Result<Applied, ProviderError> {
        let p = &req.new;
        self.put(p).await?;
        Ok(applied(&p.bucket))
    }

    async fn delete(&self, req: Delete<'_, S3BucketPolicy>) -> Result<(), ProviderError> {
        self
            .ctx
            .s3()
            .delete_bucket_policy()
            .bucket(req.id)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, S3BucketPolicy>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let ours = self
            .get(&p.bucket)
            .await?
            .as_ref()
            .and_then(parse_document)
            .is_some();
        Ok(ours.then(|| applied(&p.bucket)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_round_trips_through_parse() {
        let p = S3BucketPolicy {
            bucket: "b".into(),
            bucket_arn: "arn:aws:s3:::b".into(),
            cloudfront_distribution_arns: vec!["arn:aws:cloudfront::1:distribution/E1".into()],
            deny_insecure_transport: true,
            public_read: false,
        };
        let doc = document(&p);
        assert_eq!(
            parse_document(&doc),
            Some((p.cloudfront_distribution_arns.clone(), false, true))
        );
        assert_eq!(
            doc.pointer("/Statement/0/Resource").and_then(Value::as_str),
            Some("arn:aws:s3:::b/*")
        );
    }

    #[test]
    fn a_removed_tls_statement_is_noticed() {
        let mut doc = document(&S3BucketPolicy {
            bucket: "b".into(),
            bucket_arn: "arn:aws:s3:::b".into(),
            cloudfront_distribution_arns: vec!["x".into()],
            deny_insecure_transport: true,
            public_read: false,
        });
        doc["Statement"].as_array_mut().unwrap().pop();
        assert_eq!(parse_document(&doc), Some((vec!["x".to_string()], false, false)));
    }

    #[test]
    fn public_read_is_objects_only_and_round_trips() {
        let p = S3BucketPolicy {
            bucket: "b".into(),
            bucket_arn: "arn:aws:s3:::b".into(),
            cloudfront_distribution_arns: Vec::new(),
            deny_insecure_transport: true,
            public_read: true,
        };
        let doc = document(&p);
        let statements = doc["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 2, "no CloudFront statement without distributions");
        assert_eq!(statements[0]["Principal"], "*");
        assert_eq!(statements[0]["Action"], "s3:GetObject");
        assert_eq!(statements[0]["Resource"], "arn:aws:s3:::b/*");
        assert_eq!(parse_document(&doc), Some((Vec::new(), true, true)));
        // A widened statement (list or write) is not Gantry's: read as not public.
        let mut wide = doc.clone();
        wide["Statement"][0]["Action"] = serde_json::json!(["s3:GetObject", "s3:PutObject"]);
        assert_eq!(parse_document(&wide), None);
    }
}
