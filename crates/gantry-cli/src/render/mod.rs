//! Text renderings the CLI prints: the Mermaid graph, the status table,
//! rollouts and the doctor's report.

pub mod doctor;
pub mod mermaid;
pub mod rollout;
pub mod status;
