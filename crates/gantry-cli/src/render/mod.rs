//! Text renderings the CLI prints: the Mermaid graph and the status table.

pub mod mermaid;
pub mod rollout;
pub mod status;
