//! Process exit codes: documented constants, so scripts can rely on them.

/// Success; for `plan --detailed-exitcode`, success with no changes.
pub const OK: u8 = 0;
/// Any error: invalid spec, AWS error, failed resources.
pub const ERROR: u8 = 1;
/// `plan --detailed-exitcode` only: success, and the plan has changes.
pub const CHANGES: u8 = 2;
/// The state is locked by another run (the message says by whom).
pub const LOCKED: u8 = 3;
/// This run lost the state lock: its lease lapsed (the machine slept, the
/// process was stopped) and another run took the lock over, or `gantry
/// unlock` removed it. It stopped and wrote nothing more to the state; the
/// message names the run that holds (or last took) the lock.
pub const LOCK_LOST: u8 = 4;
/// `deploy` / `rollback`: a rollout failed, or ECS's circuit breaker rolled
/// it back; the stopped tasks' reasons were printed.
pub const ROLLOUT_FAILED: u8 = 5;
/// `deploy` / `rollback`: a rollout was still going when `--timeout` ran
/// out; what it was waiting for was printed.
pub const ROLLOUT_TIMEOUT: u8 = 6;
/// `new`: a `gantry.yaml` is already where it would write one; nothing
/// was changed.
pub const SPEC_EXISTS: u8 = 7;
/// `doctor`: a required check failed (its line says how to fix it).
pub const NOT_READY: u8 = 8;
/// `run`: the job's task stopped before its essential container ran (an
/// image that cannot be pulled, no capacity); the stop reason was printed.
/// Otherwise `run` exits with the job's own exit code.
pub const JOB_DID_NOT_RUN: u8 = 125;
/// `run`: the job was still running when `--timeout` ran out (it goes on).
pub const JOB_TIMEOUT: u8 = 124;
/// The command was interrupted (Ctrl-C); in-flight work finished and state was saved.
pub const INTERRUPTED: u8 = 130;
/// Bad command-line usage (unknown flag, missing argument).
pub const USAGE: u8 = 64;
