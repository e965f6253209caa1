//! `gantry site publish DIR`: upload a static build to the site's bucket
//! and invalidate the CloudFront cache (see `gantry_aws::site`). Reads the
//! recorded bucket and distribution from state; changes no infrastructure,
//! so it takes no lock.

use gantry_aws::site::{publish, PublishEvent};
use gantry_cli::cli::Global;
use gantry_cli::exit;
use gantry_cli::ops::{self, Workspace};
use gantry_core::{kinds, Address};
use std::path::Path;

pub async fn publish_dir(g: &Global, dir: &Path) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    if ws.model.site.is_none() {
        return Err(miette::miette!(
            help = "add a `site:` section to the spec and run `gantry up`",
            "the spec has no site"
        ));
    }
    if !dir.is_dir() {
        return Err(miette::miette!("{} is not a directory", dir.display()));
    }
    let state = ws.read_state().map_err(ops::OpsError::from)?;
    let recorded = |kind: &str| {
        let address = Address::of(kind, "site");
        state.get(&address).map(|r| r.id.clone()).ok_or_else(|| {
            miette::miette!(
                help = "run `gantry up` first: the site is created with the stack",
                "{address} does not exist yet in {}",
                ws.label()
            )
        })
    };
    let bucket = recorded(kinds::S3_BUCKET)?;
    let distribution = recorded(kinds::CLOUDFRONT_DISTRIBUTION)?;
    let ctx = ops::connect(&ws.model).await?;
    eprintln!("Publishing {} to s3://{bucket} ...", dir.display());
    let report = publish(&ctx, &bucket, &distribution, dir, &|e| match e {
        PublishEvent::Uploaded { key, bytes } => eprintln!("  uploaded {key} ({bytes} bytes)"),
        PublishEvent::Deleted { key } => eprintln!("  deleted  {key}"),
        PublishEvent::Invalidating { id } => {
            eprintln!("  invalidating the CloudFront cache ({id}) ...")
        }
    })
    .await
    .map_err(|e| miette::miette!("{e}"))?;
    let host = ws
        .model
        .site
        .as_ref()
        .and_then(|s| s.host.clone())
        .or_else(|| {
            state
                .output(
                    &Address::of(kinds::CLOUDFRONT_DISTRIBUTION, "site"),
                    "domain_name",
                )
                .and_then(|v| v.as_str().map(str::to_string))
        })
        .unwrap_or_default();
    println!(
        "Published: {} uploaded, {} unchanged, {} deleted{}. https://{host}/",
        report.uploaded.len(),
        report.unchanged,
        report.deleted.len(),
        if report.invalidation.is_some() {
            ", cache invalidated"
        } else {
            ""
        },
    );
    Ok(exit::OK)
}
