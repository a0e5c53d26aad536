//! Storms measured, not eyeballed (issue 21): a storm's length, backlog and end in
//! `summary.json`, and an unfinished storm said to be so.

use super::support::{experiment, load, run};

#[test]
fn a_test_scale_restart_storm_ends_with_its_configuration() {
    // At test scale the restart is over when its configuration says (crash at 3 s, 1 s down,
    // 1 s of reconnect jitter): the storm has no dynamics of its own to show.
    let s = run(&load(&experiment("discord-2017-full.yaml"), &[], true)).summary;
    let st = &s.storms;
    assert_eq!(st.count, 1);
    assert_eq!(st.finished, Some(true));
    let beyond = st.beyond_configured_s.unwrap();
    assert!(
        (0.0..0.1).contains(&beyond),
        "beyond the configuration by {beyond} s"
    );
    assert!(st.length_s.unwrap() > 1.0);
    assert!(st.registry_drained_s.is_some());
}

#[test]
fn a_stampede_that_outlasts_the_run_is_unfinished() {
    let s = run(&load(
        &experiment("discord-2017-registry-stampede.yaml"),
        &[],
        true,
    ))
    .summary;
    let st = &s.storms;
    assert_eq!(st.finished, Some(false));
    assert_eq!(st.registry_drained_s, None, "calls still wait at the end");
    assert!(
        st.registry_backlog_peak > 1_000,
        "{}",
        st.registry_backlog_peak
    );
    assert!(s.sessions.online_at_end < s.sessions.total);
}

#[test]
fn a_run_without_storms_measures_none() {
    let s = run(&load(&experiment("quickstart.yaml"), &[], true)).summary;
    assert_eq!(s.storms.count, 0);
    assert_eq!(s.storms.finished, None);
    assert_eq!(s.storms.length_s, None);
}
