//! The price table: one item per unit price, each with its price per region
//! and where the figure comes from (`prices/aws.yaml`, built in; a file of
//! the same shape overrides items by name).

use serde::Deserialize;
use std::collections::BTreeMap;

/// The built-in table.
const BUILT_IN: &str = include_str!("../prices/aws.yaml");

/// The region whose figures stand in where a region has none.
pub const BASE_REGION: &str = "us-east-1";

#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("the price table has no item `{0}`")]
    Missing(String),
}

/// One unit price.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Item {
    pub unit: String,
    /// Region (or `*` for all) → USD per unit.
    pub usd: BTreeMap<String, f64>,
    pub source: String,
    pub date: String,
    /// C confirmed, T third-party, U unconfirmed (see the table's header).
    pub confidence: String,
}

#[derive(Debug, Deserialize)]
struct File {
    items: BTreeMap<String, Item>,
}

/// A price looked up for one region.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub usd: f64,
    /// The region has no figure of its own: this is the us-east-1 one.
    pub approximate: bool,
}

/// Every item, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct Prices {
    pub items: BTreeMap<String, Item>,
}

impl Prices {
    /// The built-in table.
    pub fn built_in() -> Prices {
        Prices::parse(BUILT_IN, "prices/aws.yaml").expect("the built-in price table parses")
    }

    /// The built-in table with the items of `text` (a file of the same
    /// shape) in place of those of the same name.
    pub fn with_overrides(text: &str, path: &str) -> Result<Prices, PriceError> {
        let mut p = Prices::built_in();
        p.items.extend(Prices::parse(text, path)?.items);
        Ok(p)
    }

    fn parse(text: &str, path: &str) -> Result<Prices, PriceError> {
        let f: File = serde_saphyr::from_str(text).map_err(|e| PriceError::Parse {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        Ok(Prices { items: f.items })
    }

    /// `name`'s price in `region`: its own, else the one for every region,
    /// else the base region's, marked approximate.
    pub fn get(&self, name: &str, region: &str) -> Result<Price, PriceError> {
        let item = self
            .items
            .get(name)
            .ok_or_else(|| PriceError::Missing(name.to_string()))?;
        if let Some(usd) = item.usd.get(region).or_else(|| item.usd.get("*")) {
            return Ok(Price {
                usd: *usd,
                approximate: false,
            });
        }
        item.usd
            .get(BASE_REGION)
            .map(|usd| Price {
                usd: *usd,
                approximate: true,
            })
            .ok_or_else(|| PriceError::Missing(format!("{name} in {region}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_has_a_base_price_a_source_and_a_confidence() {
        let p = Prices::built_in();
        assert!(p.items.len() > 40);
        for (name, item) in &p.items {
            assert!(
                item.usd.contains_key(BASE_REGION) || item.usd.contains_key("*"),
                "{name}"
            );
            assert!(!item.source.is_empty(), "{name}");
            assert!(
                ["C", "T", "U"].contains(&item.confidence.as_str()),
                "{name}"
            );
            assert!(item.date.len() == 10, "{name}: date {}", item.date);
        }
    }

    #[test]
    fn regions_fall_back_to_the_base_region_saying_so() {
        let p = Prices::built_in();
        assert_eq!(
            p.get("nat_gateway_hour", "eu-west-1").unwrap(),
            Price {
                usd: 0.048,
                approximate: false
            }
        );
        assert_eq!(
            p.get("fargate_x86_vcpu_hour", "eu-west-1").unwrap(),
            Price {
                usd: 0.04048,
                approximate: true
            }
        );
        assert!(
            !p.get("waf_web_acl_month", "ap-south-1")
                .unwrap()
                .approximate
        );
        let o = Prices::with_overrides(
            "items:\n  alb_hour: {unit: hour, usd: {us-east-1: 0.03}, source: contract, date: 2026-12-01, confidence: C}\n",
            "mine.yaml",
        )
        .unwrap();
        assert_eq!(o.get("alb_hour", "us-east-1").unwrap().usd, 0.03);
        assert_eq!(o.items.len(), p.items.len());
        assert!(Prices::with_overrides("items: [", "bad.yaml").is_err());
    }
}
