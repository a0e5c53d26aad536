%% One measurement: `erl -noshell +S N:N -pa ebin -run tb_run main KEY=VALUE ...'.
%%
%% Starts the sessions (on this VM, or on a second VM with `sessions=remote'), the Manifold
%% partitioner and workers when the mode asks for them, then either probes the idle system
%% (`probe=COUNT': prints the mean makespan and fan-out duration of COUNT publishes) or runs
%% the Poisson arrivals for `duration' seconds, waits until every delivery has arrived, and
%% writes one CSV file (`tb_csv'). Exits with 0, 2 on bad arguments (with the reason), or 1
%% when the measurement failed (a file that cannot be written, say).
-module(tb_run).

-export([main/1]).

-define(KEYS, ["mode", "members", "rate", "presence", "duration", "seed", "payload",
               "sessions", "out", "probe", "target_utilisation", "probe_makespan_us"]).

main(Args) ->
    try
        Config = parse(Args),
        Code = run(Config),
        halt(Code)
    catch
        throw:{usage, Message} ->
            io:format(standard_error, "tb_run: ~s~n", [Message]),
            halt(2);
        Class:Reason:Stack ->
            io:format(standard_error, "tb_run: failed: ~p:~p~n~p~n", [Class, Reason, Stack]),
            halt(1)
    end.

run(#{probe := Count} = Config) when Count > 0 ->
    {Stop, Setup} = setup(Config),
    {Makespan, Fanout} = tb_guild:probe(Setup, Count),
    io:format("probe makespan_us=~s fanout_us=~s~n", [us(Makespan), us(Fanout)]),
    Stop(),
    0;
run(Config) ->
    LoadStart = tb_machine:load_average(),
    {Stop, Setup} = setup(Config),
    Start = tb_clock:now() + 20000000,
    #{seed := Seed, duration := Duration, rate := Rate, presence := Presence,
      members := Members} = Config,
    Arrivals = tb_arrivals:new(Seed, Start, Duration, Rate, Presence, Members),
    Self = self(),
    Guild = spawn_link(fun() -> Self ! {self(), tb_guild:run(Setup#{arrivals => Arrivals})} end),
    Result = receive {Guild, R} -> R end,
    #{publishes := Publishes, presence_events := PresenceEvents} = Result,
    Keepers = maps:get(keepers, Setup),
    Expected = {Publishes * Members, PresenceEvents * (Members - 1)},
    Drained = drain(Keepers, Expected, tb_clock:now() + drain_timeout(Duration)),
    {Chat, PresenceHist} = dump(Keepers),
    LoadEnd = tb_machine:load_average(),
    tb_csv:write(maps:get(out, Config),
                 tb_machine:facts() ++ [{"load_average_start", LoadStart},
                                        {"load_average_end", LoadEnd}],
                 Config#{publishes => Publishes, presence_events => PresenceEvents,
                         drained => Drained},
                 #{latency => tb_hist:summary(Chat),
                   fanout => tb_hist:exact(maps:get(durations, Result)),
                   presence_latency => tb_hist:summary(PresenceHist),
                   wake_lag => tb_hist:exact(maps:get(wake_lags, Result))}),
    Stop(),
    0.

%% Sessions, partitioners and what the guild needs; and how to stop a second VM.
setup(#{mode := Mode, members := Members, payload := PayloadBytes, sessions := Where}) ->
    {Node, Stop} = session_node(Where),
    Workers = case Mode of
                  naive -> none;
                  manifold -> per_scheduler
              end,
    {Keeper, Sessions, Partitioner} =
        tb_session:start_keeper(Node, Members, Workers, tb_clock:offset()),
    erlang:garbage_collect(),
    timer:sleep(100),
    {Stop, #{mode => Mode, sessions => Sessions, partitioners => #{Node => Partitioner},
             payload => binary:copy(<<$x>>, PayloadBytes), keepers => [Keeper]}}.

session_node(local) ->
    {node(), fun() -> ok end};
session_node(remote) ->
    case node() of
        nonode@nohost ->
            throw({usage, "sessions=remote needs a distributed node: start erl with -sname"});
        _ ->
            Ebin = filename:dirname(code:which(?MODULE)),
            Schedulers = integer_to_list(erlang:system_info(schedulers_online)),
            {ok, Peer, Node} = peer:start_link(#{name => peer:random_name(tb_sessions),
                                                 args => ["-pa", Ebin, "+S",
                                                          Schedulers ++ ":" ++ Schedulers]}),
            {Node, fun() -> peer:stop(Peer) end}
    end.

%% Waits until the keepers have counted every expected delivery, or the deadline passes.
drain(Keepers, Expected, Deadline) ->
    case counts(Keepers) of
        Expected ->
            true;
        _ ->
            case tb_clock:now() > Deadline of
                true ->
                    false;
                false ->
                    timer:sleep(5),
                    drain(Keepers, Expected, Deadline)
            end
    end.

drain_timeout(Duration) ->
    round(max(60.0, 2 * Duration) * 1.0e9).

counts(Keepers) ->
    lists:foldl(fun(K, {C, P}) ->
                        K ! {self(), count},
                        receive {K, count, C1, P1} -> {C + C1, P + P1} end
                end, {0, 0}, Keepers).

dump(Keepers) ->
    Empty = {0, 0, 0, []},
    lists:foldl(fun(K, {C, P}) ->
                        K ! {self(), dump},
                        receive
                            {K, dump, C1, P1} -> {tb_hist:merge(C, C1), tb_hist:merge(P, P1)}
                        end
                end, {Empty, Empty}, Keepers).

us(Ns) ->
    float_to_list(Ns / 1000, [{decimals, 3}]).

%% Arguments: KEY=VALUE strings.
parse(Args) ->
    Pairs = [split(A) || A <- Args],
    [throw({usage, "unknown argument `" ++ K ++ "'; arguments are " ++
                       lists:join(", ", ?KEYS)})
     || {K, _} <- Pairs, not lists:member(K, ?KEYS)],
    Get = fun(K, Default) -> proplists:get_value(K, Pairs, Default) end,
    Probe = integer(Get("probe", "0"), "probe", 0, 100000),
    Config = #{mode => mode(Get("mode", missing)),
               members => integer(Get("members", missing), "members", 2, 10000000),
               rate => number(Get("rate", "0"), "rate", 0.0, 1.0e7),
               presence => number(Get("presence", "0"), "presence", 0.0, 1.0e6),
               duration => number(Get("duration", "10"), "duration", 0.001, 86400.0),
               seed => integer(Get("seed", "1"), "seed", 0, 1 bsl 62),
               payload => integer(Get("payload", "1000"), "payload", 0, 1 bsl 24),
               sessions => where(Get("sessions", "local")),
               probe => Probe,
               target_utilisation => Get("target_utilisation", ""),
               probe_makespan_us => Get("probe_makespan_us", "")},
    case {Probe, Get("out", missing)} of
        {0, missing} -> throw({usage, "out=FILE is required (the CSV file to write)"});
        {_, Out} -> Config#{out => Out}
    end.

split(Arg) ->
    case string:split(Arg, "=") of
        [K, V] -> {K, V};
        _ -> throw({usage, "expected KEY=VALUE, got `" ++ Arg ++ "'"})
    end.

mode("naive") -> naive;
mode("manifold") -> manifold;
mode(Other) -> throw({usage, io_lib:format("mode must be naive or manifold, got ~p", [Other])}).

where("local") -> local;
where("remote") -> remote;
where(Other) -> throw({usage, io_lib:format("sessions must be local or remote, got ~p", [Other])}).

integer(missing, Key, _, _) ->
    throw({usage, Key ++ "=N is required"});
integer(Text, Key, Min, Max) ->
    case string:to_integer(Text) of
        {N, ""} when N >= Min, N =< Max -> N;
        _ -> throw({usage, io_lib:format("~s must be an integer from ~p to ~p, got ~p",
                                         [Key, Min, Max, Text])})
    end.

number(Text, Key, Min, Max) ->
    Parsed = case string:to_float(Text) of
                 {F, ""} -> F;
                 _ -> case string:to_integer(Text) of
                          {I, ""} -> float(I);
                          _ -> error
                      end
             end,
    case Parsed of
        X when is_float(X), X >= Min, X =< Max -> X;
        _ -> throw({usage, io_lib:format("~s must be a number from ~p to ~p, got ~p",
                                         [Key, Min, Max, Text])})
    end.
