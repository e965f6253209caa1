//! Publishing a static site build (`gantry site publish DIR`): the
//! directory is synchronised into the site bucket (new and changed files
//! uploaded with their content type and a cache policy, files gone from the
//! build deleted; the bucket is versioned, so deleted and overwritten files
//! stay recoverable for the lifecycle's window), then one CloudFront
//! invalidation of `/*` is made and waited for.
//!
//! A file is unchanged when its MD5 equals the object's ETag: true for
//! single-part uploads to an SSE-S3 bucket, which is what the site bucket
//! is and what this module writes.

use crate::context::AwsContext;
use crate::error::aws_error;
use crate::util::wait_for;
use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use futures::stream::{self, StreamExt, TryStreamExt};
use gantry_core::ProviderError;
use md5::{Digest, Md5};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Uploads in flight at once.
const UPLOADS: usize = 8;
/// How long an invalidation may take (usually under a minute or two).
const INVALIDATION_WAIT: Duration = Duration::from_secs(900);

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{dir} has no index.html: the site's root object and SPA fallback need one")]
    NoIndex { dir: PathBuf },
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: file names must be valid UTF-8 to become object keys")]
    NotUtf8 { path: PathBuf },
    #[error("{what}: {source}")]
    Aws {
        what: String,
        #[source]
        source: ProviderError,
    },
}

fn aws(what: impl Into<String>) -> impl FnOnce(ProviderError) -> PublishError {
    let what = what.into();
    move |source| PublishError::Aws { what, source }
}

/// What happened to one file (reported as it happens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishEvent {
    Uploaded { key: String, bytes: u64 },
    Deleted { key: String },
    Invalidating { id: String },
}

/// The outcome of a publish.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublishReport {
    /// Keys uploaded (new or changed), sorted.
    pub uploaded: Vec<String>,
    /// Files already up to date.
    pub unchanged: usize,
    /// Keys deleted because the build no longer has them, sorted.
    pub deleted: Vec<String>,
    /// The invalidation made (none when nothing changed).
    pub invalidation: Option<String>,
}

/// One local file.
#[derive(Debug, Clone)]
struct LocalFile {
    key: String,
    path: PathBuf,
    md5: String,
    size: u64,
}

/// The `Content-Type` for a key; text types say UTF-8.
pub fn content_type(key: &str) -> String {
    let mime = mime_guess::from_path(key).first_or_octet_stream();
    let text = mime.type_() == mime_guess::mime::TEXT
        || matches!(
            mime.essence_str(),
            "application/javascript" | "application/json" | "image/svg+xml"
        );
    if text {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_string()
    }
}

/// Whether a file name carries a content hash (`index-4f3a9c1b.js`,
/// `main.8e2f01ab.css`), as bundlers name assets that never change.
fn is_fingerprinted(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    stem.split(['-', '.', '_']).skip(1).any(|part| {
        part.len() >= 8
            && part.chars().all(|c| c.is_ascii_alphanumeric())
            && part.chars().any(|c| c.is_ascii_digit())
    })
}

/// The `Cache-Control` for a key: HTML is revalidated every time (it names
/// the current assets), fingerprinted assets are immutable for a year, the
/// rest is cached for an hour.
pub fn cache_control(key: &str) -> &'static str {
    if key.ends_with(".html") || key.ends_with(".htm") {
        "no-cache"
    } else if is_fingerprinted(key) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<LocalFile>) -> Result<(), PublishError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PublishError::Io { path, source }
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .collect::<Result<_, _>>()
        .map_err(io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        // Symlinks are followed (a build may link shared assets in).
        let meta = std::fs::metadata(&path).map_err(io(&path))?;
        if meta.is_dir() {
            walk(root, &path, out)?;
            continue;
        }
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let mut parts = Vec::new();
        for c in rel.components() {
            let s = c
                .as_os_str()
                .to_str()
                .ok_or_else(|| PublishError::NotUtf8 { path: path.clone() })?;
            parts.push(s.to_string());
        }
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let digest = Md5::digest(&bytes);
        out.push(LocalFile {
            key: parts.join("/"),
            md5: digest.iter().map(|b| format!("{b:02x}")).collect(),
            size: meta.len(),
            path,
        });
    }
    Ok(())
}

/// Every object of the bucket: key → ETag without quotes.
async fn remote(ctx: &AwsContext, bucket: &str) -> Result<BTreeMap<String, String>, ProviderError> {
    let mut out = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let page = ctx
            .s3()
            .list_objects_v2()
            .bucket(bucket)
            .set_continuation_token(token.clone())
            .send()
            .await
            .map_err(|e| aws_error(e, &["NoSuchBucket"]))?;
        for o in page.contents() {
            if let Some(k) = o.key() {
                out.insert(
                    k.to_string(),
                    o.e_tag().unwrap_or_default().trim_matches('"').to_string(),
                );
            }
        }
        match page
            .next_continuation_token
            .filter(|_| page.is_truncated == Some(true))
        {
            Some(t) => token = Some(t),
            None => return Ok(out),
        }
    }
}

/// Synchronises `dir` into `bucket` and invalidates `distribution_id`'s
/// cache when anything changed. `on_event` hears of each file as it is
/// done.
pub async fn publish(
    ctx: &AwsContext,
    bucket: &str,
    distribution_id: &str,
    dir: &Path,
    on_event: &(dyn Fn(&PublishEvent) + Sync),
) -> Result<PublishReport, PublishError> {
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    if !files.iter().any(|f| f.key == "index.html") {
        return Err(PublishError::NoIndex {
            dir: dir.to_path_buf(),
        });
    }
    let existing = remote(ctx, bucket)
        .await
        .map_err(aws(format!("listing bucket {bucket}")))?;
    let (changed, same): (Vec<LocalFile>, Vec<LocalFile>) = files
        .iter()
        .cloned()
        .partition(|f| existing.get(&f.key) != Some(&f.md5));

    let mut uploaded: Vec<String> = stream::iter(changed.into_iter().map(|f| async move {
        // In memory (site files are small): a sized body gets its checksum
        // in a header instead of an aws-chunked trailer.
        let bytes = tokio::fs::read(&f.path)
            .await
            .map_err(|source| PublishError::Io {
                path: f.path.clone(),
                source,
            })?;
        let body = ByteStream::from(bytes);
        ctx.s3()
            .put_object()
            .bucket(bucket)
            .key(&f.key)
            .body(body)
            .content_type(content_type(&f.key))
            .cache_control(cache_control(&f.key))
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))
            .map_err(aws(format!("uploading {}", f.key)))?;
        on_event(&PublishEvent::Uploaded {
            key: f.key.clone(),
            bytes: f.size,
        });
        Ok::<_, PublishError>(f.key)
    }))
    .buffer_unordered(UPLOADS)
    .try_collect()
    .await?;
    uploaded.sort();

    // Only after every upload: a half-published build keeps the old files
    // its (cached) pages may still name.
    let keep: std::collections::BTreeSet<&str> = files.iter().map(|f| f.key.as_str()).collect();
    let stale: Vec<String> = existing
        .keys()
        .filter(|k| !keep.contains(k.as_str()))
        .cloned()
        .collect();
    for batch in stale.chunks(1000) {
        let objects = batch
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| PublishError::Aws {
                what: "deleting old files".into(),
                source: ProviderError::new("InvalidRequest", e.to_string()),
            })?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| PublishError::Aws {
                what: "deleting old files".into(),
                source: ProviderError::new("InvalidRequest", e.to_string()),
            })?;
        let out = ctx
            .s3()
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))
            .map_err(aws("deleting old files"))?;
        if let Some(e) = out.errors().first() {
            return Err(PublishError::Aws {
                what: format!("deleting {}", e.key().unwrap_or_default()),
                source: ProviderError::new(
                    e.code().unwrap_or("DeleteFailed"),
                    e.message().unwrap_or_default(),
                ),
            });
        }
        for k in batch {
            on_event(&PublishEvent::Deleted { key: k.clone() });
        }
    }

    let invalidation = if uploaded.is_empty() && stale.is_empty() {
        None
    } else {
        Some(invalidate(ctx, distribution_id, on_event).await?)
    };
    Ok(PublishReport {
        uploaded,
        unchanged: same.len(),
        deleted: stale,
        invalidation,
    })
}

/// Invalidates every path of the distribution and waits until it is done.
async fn invalidate(
    ctx: &AwsContext,
    distribution_id: &str,
    on_event: &(dyn Fn(&PublishEvent) + Sync),
) -> Result<String, PublishError> {
    let what = format!("invalidating distribution {distribution_id}");
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let batch = InvalidationBatch::builder()
        .paths(
            Paths::builder()
                .quantity(1)
                .items("/*")
                .build()
                .map_err(|e| ProviderError::new("InvalidRequest", e.to_string()))
                .map_err(aws(what.clone()))?,
        )
        .caller_reference(format!("gantry-{}-{nanos}", std::process::id()))
        .build()
        .map_err(|e| ProviderError::new("InvalidRequest", e.to_string()))
        .map_err(aws(what.clone()))?;
    let out = ctx
        .cloudfront()
        .create_invalidation()
        .distribution_id(distribution_id)
        .invalidation_batch(batch)
        .send()
        .await
        .map_err(|e| aws_error(e, &["NoSuchDistribution"]))
        .map_err(aws(what.clone()))?;
    let id = out
        .invalidation()
        .map(|i| i.id().to_string())
        .unwrap_or_default();
    on_event(&PublishEvent::Invalidating { id: id.clone() });
    wait_for(&format!("invalidation {id}"), INVALIDATION_WAIT, || async {
        let out = ctx
            .cloudfront()
            .get_invalidation()
            .distribution_id(distribution_id)
            .id(&id)
            .send()
            .await
            .map_err(|e| aws_error(e, &[]))?;
        Ok(out
            .invalidation()
            // AWS says `Completed`; the emulator `COMPLETED`.
            .filter(|i| i.status().eq_ignore_ascii_case("Completed"))
            .map(|_| ()))
    })
    .await
    .map_err(aws(what))?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_name_the_charset_of_text() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("assets/app-4f3a9c1b.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("logo.png"), "image/png");
        assert_eq!(content_type("data.bin"), "application/octet-stream");
    }

    #[test]
    fn html_revalidates_and_fingerprinted_assets_are_immutable() {
        assert_eq!(cache_control("index.html"), "no-cache");
        assert_eq!(cache_control("docs/a.html"), "no-cache");
        assert_eq!(
            cache_control("assets/index-4f3a9c1b.js"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            cache_control("static/js/main.8e2f01ab.css"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(cache_control("favicon.ico"), "public, max-age=3600");
        assert_eq!(cache_control("robots.txt"), "public, max-age=3600");
        // A word, not a hash.
        assert_eq!(
            cache_control("fonts/inter-variable.woff2"),
            "public, max-age=3600"
        );
    }

    #[test]
    fn walk_lists_nested_files_with_slash_keys_and_md5() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("assets/img")).unwrap();
        std::fs::write(dir.path().join("index.html"), "hello").unwrap();
        std::fs::write(dir.path().join("assets/img/a.png"), [1u8, 2, 3]).unwrap();
        let mut files = Vec::new();
        walk(dir.path(), dir.path(), &mut files).unwrap();
        let keys: Vec<&str> = files.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["assets/img/a.png", "index.html"]);
        // md5("hello")
        assert_eq!(files[1].md5, "5d41402abc4b2a76b9719d911017c592");
    }
}
