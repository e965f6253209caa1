//! AWS providers.
