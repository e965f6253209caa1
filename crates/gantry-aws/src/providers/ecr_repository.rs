//! `ecr_repository`: a private ECR repository. Its id is the name; outputs
//! add `arn` and `repository_url`. Delete is forced: `destroy` must leave
//! nothing behind, images included.

use crate::context::AwsContext;
use crate::util::*;
use async_trait::async_trait;
use aws_sdk_ecr::types::{ImageScanningConfiguration, ImageTagMutability, Repository, Tag};
use gantry_core::kinds::EcrRepository;
use crate::shape::*;
use gantry_core::*;
use std::collections::HashMap;

const NOT_FOUND: &[&str] = &["RepositoryNotFoundException"];

pub(crate) struct Provider {
    ctx: AwsContext,
}

fn applied(r: &Repository) -> Applied {
    let name = r.repository_name().unwrap_or_default().to_string();
    Applied {
        outputs: outputs([
            ("id", name.clone()),
            ("arn", r.repository_arn().unwrap_or_default().to_string()),
            (
                "repository_url",
                r.repository_uri().unwrap_or_default().to_string(),
            ),
            ("name", name.clone()),
        ]),
        id: name,
    }
}

fn scanning(on: bool) -> ImageScanningConfiguration {
    ImageScanningConfiguration::builder()
        .scan_on_push(on)
        .build()
}

impl Provider {
    async fn describe(&self, names: Vec<String>) -> Result<Vec<Repository>, ProviderError> {
        let out = self
            .ctx
            .ecr()
            .describe_repositories()
            .set_repository_names(Some(names))
            .send()
            .await
            .map_err(Self::err)?;
        Ok(out.repositories.unwrap_or_default())
    }

    async fn describe_one(&self, name: &str) -> Result<Repository, ProviderError> {
        self.describe(vec![name.to_string()])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ProviderError::not_found(format!("repository {name} is gone")))
    }
}

#[async_trait]
impl AwsKind for Provider {
    type Props = EcrRepository;
    const NOT_FOUND: &'static [&'static str] = NOT_FOUND;
    const LISTING: Listing = tagged(Region::Stack, "ecr:repository", |a| arn::after(a, "ecr", "repository/"));

    fn new(ctx: AwsContext) -> Self {
        Provider { ctx }
    }

    async fn create(&self, req: Create<'_, EcrRepository>) -> Result<Applied, ProviderError> {
        let p = &req.props;
        let tags: Vec<Tag> = req.tag_set(Some(&p.name))
            .into_iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        let out = self
            .ctx
            .ecr()
            .create_repository()
            .repository_name(&p.name)
            .image_tag_mutability(ImageTagMutability::from(p.image_tag_mutability.as_str()))
            .image_scanning_configuration(scanning(p.scan_on_push))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(Self::err)?;
        let r = out.repository.ok_or_else(|| {
            ProviderError::new("MissingId", "CreateRepository returned no repository")
        })?;
        Ok(applied(&r))
    }

    async fn read(&self, items: &[Item<'_, EcrRepository>]) -> Result<Vec<Seen<EcrRepository>>, ProviderError> {
        let ids = ids(items);
        let mut found = HashMap::new();
        for chunk in chunks(&ids, 100) {
            for r in batch_or_each(&chunk, |ids| self.describe(ids)).await? {
                if let Some(n) = r.repository_name.clone() {
                    found.insert(n, r);
                }
            }
        }
        Ok(items
            .iter()
            .filter_map(|r| {
                let repo = found.get(r.id)?;
                let scan = repo
                    .image_scanning_configuration()
                    .map(|c| c.scan_on_push());
                let props = EcrRepository {
                    name: repo.repository_name().unwrap_or_default().to_string(),
                    image_tag_mutability: repo
                        .image_tag_mutability()
                        .map(|m| m.as_str().to_string())
                        .unwrap_or_default(),
                    scan_on_push: scan.unwrap_or(false),
                };
                let unread: &[&str] = if scan.is_none() {
                    &["scan_on_push"]
                } else {
                    &[]
                };
                Some(Seen { id: r.id.to_string(), props, unread: unread.to_vec(), outputs: applied(repo).outputs })
            })
            .collect())
    }

    async fn update(&self, req: Update<'_, EcrRepository>) -> Result<Applied, ProviderError> {
        let old = &req.old;
        let new = &req.new;
        if old.image_tag_mutability != new.image_tag_mutability {
            self.ctx
                .ecr()
                .put_image_tag_mutability()
                .repository_name(req.id)
                .image_tag_mutability(ImageTagMutability::from(new.image_tag_mutability.as_str()))
                .send()
                .await
                .map_err(Self::err)?;
        }
        if old.scan_on_push != new.scan_on_push {
            self.ctx
                .ecr()
                .put_image_scanning_configuration()
                .repository_name(req.id)
                .image_scanning_configuration(scanning(new.scan_on_push))
                .send()
                .await
                .map_err(Self::err)?;
        }
        Ok(applied(&self.describe_one(req.id).await?))
    }

    async fn delete(&self, req: Delete<'_, EcrRepository>) -> Result<(), ProviderError> {
        self
            .ctx
            .ecr()
            .delete_repository()
            .repository_name(req.id)
            .force(true)
            .send()
            .await
            .map(|_| ())
            .map_err(Self::err)
    }

    async fn find(&self, req: Find<'_, EcrRepository>) -> Result<Option<Applied>, ProviderError> {
        let p = &req.props;
        let repo = match self.describe_one(&p.name).await {
            Err(e) if e.is_not_found() => return Ok(None),
            other => other?,
        };
        let out = self
            .ctx
            .ecr()
            .list_tags_for_resource()
            .resource_arn(repo.repository_arn().unwrap_or_default())
            .send()
            .await
            .map_err(Self::err)?;
        let ours = req.ours(out.tags().iter().map(|t| (t.key(), t.value())));
        Ok(ours.then(|| applied(&repo)))
    }
}
