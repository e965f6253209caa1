//! Inventory of tagged resources.
