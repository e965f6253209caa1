//! Reading state without a lock and without writing anything, for commands
//! that only look (`status`): the snapshot with the journal replayed onto it
//! in memory, so a run in progress shows what it has done so far.

use crate::{journal, State, StateError, JOURNAL_FILE, STATE_FILE};
use std::path::Path;

/// The current state in `dir`, or an empty one if nothing was ever written.
pub fn read_state(dir: &Path, stack: &str, env: &str) -> Result<State, StateError> {
    let mut state =
        State::load(&dir.join(STATE_FILE), stack, env)?.unwrap_or_else(|| State::new(stack, env));
    let jpath = dir.join(JOURNAL_FILE);
    if jpath.exists() {
        journal::replay(&jpath, &mut state)?;
    }
    Ok(state)
}
