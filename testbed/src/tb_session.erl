%% Session processes, and the keeper that starts them on a node and reads their histograms.
%%
%% A session handles one message at a time: on a chat event or a presence update it reads
%% the clock at once and records receive time minus publish time (nanoseconds, Erlang
%% monotonic time) into the histogram of its kind. On a remote node the clock is shifted onto
%% the guild node's (`tb_clock'). During a probe a chat event carries a counter: the session
%% that brings its node's counter to the node's session count tells the prober when the last
%% member there got the event.
%%
%% The keeper is one process per node holding sessions: it makes the node's histograms
%% (atomics arrays cannot leave their node), spawns the sessions and answers for them.
-module(tb_session).

-export([keeper/4, start_keeper/4]).

%% Starts a keeper on `Node' with `Members' sessions and waits for their pids (in order)
%% and, with `Workers' = `per_scheduler', a Manifold partitioner with one worker per
%% scheduler of that node (Manifold's default; `none' for naive fan-out). `GuildOffset' is
%% the guild node's clock offset (`tb_clock:offset/0').
start_keeper(Node, Members, Workers, GuildOffset) ->
    Self = self(),
    Keeper = spawn_link(Node, ?MODULE, keeper, [Self, Members, Workers, GuildOffset]),
    receive
        {Keeper, sessions, Sessions, Partitioner} -> {Keeper, Sessions, Partitioner}
    after 600000 ->
        exit({no_sessions_from, Node})
    end.

keeper(Parent, Members, Workers, GuildOffset) ->
    Shift = GuildOffset - tb_clock:offset(),
    Chat = tb_hist:new(),
    Presence = tb_hist:new(),
    Probe = {atomics:new(1, []), Members},
    Sessions = [spawn_link(fun() -> loop(Chat, Presence, Probe, Shift) end)
                || _ <- lists:seq(1, Members)],
    Partitioner = case Workers of
                      none -> none;
                      per_scheduler ->
                          tb_manifold:start_partitioner(erlang:system_info(schedulers_online))
                  end,
    Parent ! {self(), sessions, Sessions, Partitioner},
    serve(Chat, Presence, Probe).

serve(Chat, Presence, {Counter, _} = Probe) ->
    receive
        {From, count} ->
            From ! {self(), count, tb_hist:count(Chat), tb_hist:count(Presence)},
            serve(Chat, Presence, Probe);
        {From, dump} ->
            From ! {self(), dump, tb_hist:dump(Chat), tb_hist:dump(Presence)},
            serve(Chat, Presence, Probe);
        {From, reset_probe} ->
            atomics:put(Counter, 1, 0),
            From ! {self(), reset_probe},
            serve(Chat, Presence, Probe)
    end.

loop(Chat, Presence, Probe, Shift) ->
    receive
        {chat, T0, _Payload, Notify} ->
            Now = erlang:monotonic_time(nanosecond) + Shift,
            tb_hist:record(Chat, Now - T0),
            notify(Notify, Probe, Now),
            loop(Chat, Presence, Probe, Shift);
        {presence, T0, _Payload} ->
            Now = erlang:monotonic_time(nanosecond) + Shift,
            tb_hist:record(Presence, Now - T0),
            loop(Chat, Presence, Probe, Shift)
    end.

%% During a probe (`Notify' is the prober), the node's last session to get the event tells.
notify(none, _, _) ->
    ok;
notify(Prober, {Counter, Members}, Now) ->
    case atomics:add_get(Counter, 1, 1) of
        Members -> Prober ! {all_received, Now};
        _ -> ok
    end.
