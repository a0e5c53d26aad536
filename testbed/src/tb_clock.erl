%% One clock for every node of a run.
%%
%% Erlang monotonic time starts at an unspecified point on each VM, so two VMs' readings
%% cannot be subtracted. Both are the OS's CLOCK_MONOTONIC plus a constant offset, though,
%% and `erlang:system_info(os_monotonic_time_source)' reads that OS clock: the difference of
%% the two readings, taken back to back, is the VM's offset (to within the time between the
%% two calls, well under a microsecond). A session on another VM of the same machine adds
%% the guild VM's offset minus its own to its readings.
-module(tb_clock).

-export([now/0, offset/0]).

%% Erlang monotonic time in nanoseconds.
now() ->
    erlang:monotonic_time(nanosecond).

%% This VM's Erlang monotonic time minus the OS monotonic time, in nanoseconds: of a few
%% readings of the OS clock between two readings of Erlang's, the one with the shortest gap,
%% against the middle of its gap.
offset() ->
    {_, Offset} = lists:min([one_offset() || _ <- lists:seq(1, 20)]),
    Offset.

one_offset() ->
    Before = erlang:monotonic_time(nanosecond),
    Source = erlang:system_info(os_monotonic_time_source),
    After = erlang:monotonic_time(nanosecond),
    {time, Os} = lists:keyfind(time, 1, Source),
    {resolution, PerSecond} = lists:keyfind(resolution, 1, Source),
    {After - Before, (Before + After) div 2 - erlang:convert_time_unit(Os, PerSecond, nanosecond)}.
