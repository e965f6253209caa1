//! Service status for `gantry status`.
