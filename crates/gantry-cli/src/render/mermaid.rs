//! The resource graph as a Mermaid flowchart, one subgraph per apply phase
//! (everything in a phase can be created in parallel once the phases before
//! it are done), like the dependency diagrams in the seed architectures.

use gantry_core::{Address, DesiredGraph, GraphError};
use std::fmt::Write;

/// Renders `graph` as Mermaid; edges point from a dependency to its user.
pub fn render(graph: &DesiredGraph) -> Result<String, GraphError> {
    let levels = graph.levels()?;
    let id = |a: &Address| a.as_str().replace(['.', '-'], "_");
    let mut out = String::from("flowchart TB\n");
    for (i, level) in levels.iter().enumerate() {
        let title = if i == 0 {
            "Phase 1 - independent".to_string()
        } else {
            format!("Phase {}", i + 1)
        };
        let _ = writeln!(out, "    subgraph phase{} [\"{title}\"]", i + 1);
        for a in level {
            let _ = writeln!(out, "        {}[\"{a}\"]", id(a));
        }
        out.push_str("    end\n");
    }
    for (a, r) in &graph.resources {
        for d in r.dependencies() {
            let _ = writeln!(out, "    {} --> {}", id(&d), id(a));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::{reference, Resource};
    use serde_json::json;

    #[test]
    fn groups_by_phase_and_draws_edges() {
        let mut g = DesiredGraph::new();
        let vpc = Address::of("vpc", "main");
        g.add(Resource::new("vpc", "main", &json!({}))).unwrap();
        g.add(Resource::new(
            "subnet",
            "public-a",
            &json!({"vpc_id": reference(&vpc, "id")}),
        ))
        .unwrap();
        let m = render(&g).unwrap();
        assert!(m.contains(
            "subgraph phase1 [\"Phase 1 - independent\"]\n        vpc_main[\"vpc.main\"]"
        ));
        assert!(m.contains(
            "subgraph phase2 [\"Phase 2\"]\n        subnet_public_a[\"subnet.public-a\"]"
        ));
        assert!(m.contains("vpc_main --> subnet_public_a"));
    }
}
