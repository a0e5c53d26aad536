//! Files guildsim writes, and the only way it ever removes or replaces one.
//!
//! A leaf layer: it knows nothing of experiments or results, only of folders, names, records
//! (size and SHA-256) and manifests; from the rest of the crate it uses only `identity` (the
//! version a manifest names, SHA-256, the name of `resolved.yaml`). The rules, in one place:
//!
//! - **Removal** ([`removal`]): a path is removed only if it is named by plain names inside a
//!   folder guildsim owns, still resolves inside it, and holds what guildsim recorded when it
//!   wrote it; folders only when empty and guildsim's. Every removal goes through
//!   [`removal::remove`].
//! - **Paths** ([`paths`]): output folders and files are resolved before they are judged; a
//!   symbolic link as an output is refused.
//! - **Writes** ([`atomic`]): whole-or-nothing; a user's file is never replaced
//!   ([`atomic::write_new`]).
//! - **Run folders** ([`folder`], [`staging`], [`manifest`]): written in a journalled staging
//!   folder, then moved into place; `run-key.txt` lists every file with its record.
//! - **Sweep folders** ([`sweep_folder`], [`sweep_manifest`]): manifests that list every
//!   top-level file with its record.
//! - **Locks** ([`lock`]): one writer per folder.

pub(crate) mod atomic;
pub(crate) mod folder;
pub mod lock;
pub mod manifest;
pub mod names;
pub mod paths;
pub(crate) mod record;
pub(crate) mod removal;
pub(crate) mod staging;
pub(crate) mod sweep_folder;
pub(crate) mod sweep_manifest;
