%% A measurement's CSV file (format 1; testbed/README.md documents every column):
%%
%%   # guildsim testbed measurement, format 1
%%   # otp: 25                          one comment line per fact of the machine and run
%%   ...
%%   mode,schedulers,members,...        the header
%%   naive,1,1000,...                   one row per configuration (here: one)
%%
%% Durations are in microseconds with 3 decimals; a statistic without samples is an empty
%% cell. The file is written whole to a temporary name and renamed into place.
-module(tb_csv).

-export([write/4, columns/0]).

-define(STATS, ["mean", "p50", "p90", "p99", "p999", "max"]).

columns() ->
    ["mode", "schedulers", "members", "rate_per_s", "presence_per_session_per_s",
     "duration_s", "payload_bytes", "session_vm", "seed", "target_utilisation",
     "probe_makespan_us", "publishes", "presence_events", "drained"]
    ++ summary_columns("latency_us", "latency_count")
    ++ summary_columns("fanout_us", "fanout_count")
    ++ summary_columns("presence_latency_us", "presence_latency_count")
    ++ ["wake_lag_us_mean", "wake_lag_us_max"].

summary_columns(Prefix, Count) ->
    [Prefix ++ "_" ++ S || S <- ?STATS] ++ [Count].

%% Writes `File': the facts as comment lines, the header, and the row of `Config' (the run's
%% configuration and counts) and `Summaries' (tb_hist summaries, in nanoseconds).
write(File, Facts, Config, Summaries) ->
    Comments = ["# guildsim testbed measurement, format 1\n"
                | [["# ", K, ": ", V, "\n"] || {K, V} <- Facts]],
    Row = row(Config, Summaries),
    Text = [Comments, lists:join(",", columns()), "\n", lists:join(",", Row), "\n"],
    Tmp = File ++ ".tmp",
    ok = filelib:ensure_dir(File),
    ok = file:write_file(Tmp, Text),
    ok = file:rename(Tmp, File).

row(C, S) ->
    #{latency := Latency, fanout := Fanout, presence_latency := Presence,
      wake_lag := Lag} = S,
    [atom_to_list(maps:get(mode, C)),
     integer_to_list(erlang:system_info(schedulers_online)),
     integer_to_list(maps:get(members, C)),
     number(maps:get(rate, C)),
     number(maps:get(presence, C)),
     number(maps:get(duration, C)),
     integer_to_list(maps:get(payload, C)),
     atom_to_list(maps:get(sessions, C)),
     integer_to_list(maps:get(seed, C)),
     maps:get(target_utilisation, C),
     maps:get(probe_makespan_us, C),
     integer_to_list(maps:get(publishes, C)),
     integer_to_list(maps:get(presence_events, C)),
     atom_to_list(maps:get(drained, C))]
    ++ stats(Latency) ++ stats(Fanout) ++ stats(Presence)
    ++ [us(maps:get(mean, Lag)), us(maps:get(max, Lag))].

stats(Summary) ->
    [us(maps:get(K, Summary)) || K <- [mean, p50, p90, p99, p999, max]]
    ++ [integer_to_list(maps:get(count, Summary))].

us(none) -> "";
us(Ns) -> float_to_list(Ns / 1000, [{decimals, 3}]).

number(X) -> float_to_list(X, [short]).
