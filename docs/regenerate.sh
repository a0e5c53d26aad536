#!/bin/sh
# Draws the figures in docs/ again with the current guildsim, from full runs of the
# experiments they show (minutes: the full-scale run alone takes a few). Each experiment runs
# into a fresh temporary folder; only the figures are copied here. CI checks test-scale
# versions of every shipped experiment's plots (tests/integration/plots_readable.rs).
#
#   sh docs/regenerate.sh            # from the repository root
set -eu
cargo build --release --quiet
guildsim=target/release/guildsim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# figure in docs/ <- experiment, file it draws
while read -r figure experiment drawn; do
    if [ ! -d "$work/$experiment" ]; then
        "$guildsim" run "experiments/$experiment.yaml" --quiet --out "$work/$experiment"
    fi
    cp "$work/$experiment/$drawn" "docs/$figure"
    echo "docs/$figure <- experiments/$experiment.yaml: $drawn"
done <<'LIST'
scaling-guild-size-latency-p99.svg scaling-guild-size latency_p99.svg
scaling-guild-size-fanout-p99.svg scaling-guild-size fanout_duration_p99.svg
scaling-guild-size-inter-node.svg scaling-guild-size inter_node_messages.svg
registry-storm-timeline.svg discord-2017-registry-semaphore storm_timeline.svg
full-scale-storm-timeline.svg discord-2017-full storm_timeline.svg
member-list-timeline.svg discord-2019-member-list member_list_timeline.svg
zenmonitor-timeline.svg discord-2019-zenmonitor zenmonitor_timeline.svg
relays-timeline.svg discord-2023-relays relays_timeline.svg
everyone-timeline.svg discord-2023-everyone everyone_timeline.svg
wake-storm-timeline.svg discord-2023-wake-storm wake_storm_timeline.svg
design-generations-frontiers.svg design-generations search.svg
capacity-guild-size.svg capacity-guild-size search.svg
guild-gc-latency-p99.svg guild-gc latency_p99.svg
LIST
