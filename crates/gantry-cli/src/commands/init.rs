//! `gantry init`: prepare where the state is kept. For S3, create the
//! bucket if it is missing, with its posture, and report that posture.

use gantry_aws::aws_config::{self, BehaviorVersion, Region};
use gantry_aws::state_s3::{self, NONCURRENT_DAYS};
use gantry_cli::cli::Global;
use gantry_cli::exit;
use gantry_cli::ops::Workspace;
use gantry_model::StateLocation;

pub async fn run(g: &Global) -> miette::Result<u8> {
    let ws = Workspace::load(g)?;
    let (bucket, region) = match &ws.location {
        StateLocation::Local => {
            let dir = ws.backend.path();
            std::fs::create_dir_all(&dir)
                .map_err(|e| miette::miette!("creating {}: {e}", dir.display()))?;
            println!(
                "The state of {} is kept locally, in {}. For a team, keep it in S3: \
                 `state: {{backend: s3, bucket: NAME}}` in the spec, then `gantry init`.",
                ws.label(),
                dir.display()
            );
            return Ok(exit::OK);
        }
        StateLocation::S3 { bucket, region, .. } => (bucket, region),
    };
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.clone()))
        .load()
        .await;
    let report = state_s3::init_bucket(&config, bucket, region)
        .await
        .map_err(|e| {
            miette::miette!(
                help = "credentials and region come from the standard AWS chain; the bucket name must be free in all of S3",
                "{e}"
            )
        })?;
    if report.created {
        println!(
            "Created the state bucket s3://{bucket} in {region}: versioned, encrypted with \
             SSE-KMS (the aws/s3 key), public access blocked, TLS only, replaced versions \
             expiring after {NONCURRENT_DAYS} days."
        );
    } else {
        println!("The state bucket s3://{bucket} exists; it was left as it is.");
        for m in report.posture.missing() {
            eprintln!("warning: s3://{bucket}: {m}");
        }
    }
    println!(
        "The state of {} is kept in {}.",
        ws.label(),
        ws.backend.describe()
    );
    Ok(exit::OK)
}
