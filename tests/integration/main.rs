//! guildsim's integration tests: one binary, one module per concern, each named for what it
//! checks. Shared helpers (loading and running experiments through the library, scratch
//! folders, running the built binary) are in `support.rs`.

mod answers;
mod calibrate;
mod capacity;
mod cluster_2017;
mod compare;
mod delivery_accounting;
mod delivery_modes;
mod designs;
mod determinism;
mod editor_schema;
mod estimate_calibration;
mod estimates;
mod exit_codes;
mod expect;
mod input_limits;
mod keeps_up;
mod layers;
mod located_errors;
mod manifest_fuzz;
mod mutants;
mod output_folders;
mod phases;
mod plots_readable;
mod published_figures;
mod report_html;
mod search;
mod slice_ends;
mod snapshots;
mod steady_state;
mod storms;
mod support;
mod sweep_checks;
mod sweeps;
mod trace;
mod windows;
