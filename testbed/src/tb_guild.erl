%% The guild process: one process that fans every publish out to all its members, one at a
%% time, in its own single thread.
%%
%% Arrivals are timed by the guild itself (`tb_arrivals'): when it is done with a publish it
%% takes up the next one whose time has come, or waits for it. A publish's latency counts
%% from its scheduled time, so a publish that came while the guild was busy has waited in
%% the guild's queue, as a message waits in a mailbox (and as in guildsim, where a publish
%% arrives in the guild's mailbox at its time). The guild records each chat fan-out's
%% duration: from taking the publish up to its last send.
%%
%% Fan-out is `naive' (a send to every member, in member order) or `manifold'
%% (`tb_manifold'). A presence change goes to every member but the one it is about.
-module(tb_guild).

-export([run/1, probe/2]).

-record(guild, {
    mode :: naive | manifold,
    sessions :: [pid()],
    by_index :: tuple(),
    partitioners :: #{node() => pid()},
    payload :: binary()
}).

%% Runs the arrivals of `Config' (a map: mode, sessions, partitioners, payload, arrivals) and
%% returns #{durations, publishes, presence_events, wake_lags}.
run(Config) ->
    G = guild(Config),
    loop(maps:get(arrivals, Config), G, [], 0, 0, []).

guild(#{mode := Mode, sessions := Sessions, partitioners := Partitioners,
        payload := Payload}) ->
    #guild{mode = Mode, sessions = Sessions, by_index = list_to_tuple(Sessions),
           partitioners = Partitioners, payload = Payload}.

loop(Arrivals, G, Durations, Publishes, Presence, Lags) ->
    case tb_arrivals:next(Arrivals) of
        done ->
            #{durations => lists:reverse(Durations), publishes => Publishes,
              presence_events => Presence, wake_lags => Lags};
        {T, Kind, Next} ->
            Lags1 = case T > tb_clock:now() of
                        true -> [tb_arrivals:wait_until(T) | Lags];
                        false -> Lags
                    end,
            case Kind of
                chat ->
                    Start = tb_clock:now(),
                    fan_out(G, none, {chat, T, G#guild.payload, none}),
                    End = tb_clock:now(),
                    loop(Next, G, [End - Start | Durations], Publishes + 1, Presence, Lags1);
                {presence, I} ->
                    Origin = element(I, G#guild.by_index),
                    fan_out(G, Origin, {presence, T, G#guild.payload}),
                    loop(Next, G, Durations, Publishes, Presence + 1, Lags1)
            end
    end.

%% Sends `Msg' to every member but `Except' (a pid, or `none').
fan_out(#guild{mode = naive, sessions = Sessions}, Except, Msg) ->
    send_all(Sessions, Except, Msg);
fan_out(#guild{mode = manifold, sessions = Sessions, partitioners = P}, none, Msg) ->
    tb_manifold:send(P, Sessions, Msg);
fan_out(#guild{mode = manifold, sessions = Sessions, partitioners = P}, Except, Msg) ->
    tb_manifold:send(P, lists:delete(Except, Sessions), Msg).

send_all([Except | Ps], Except, Msg) ->
    send_all(Ps, Except, Msg);
send_all([P | Ps], Except, Msg) ->
    P ! Msg,
    send_all(Ps, Except, Msg);
send_all([], _, _) ->
    ok.

%% The probe: `Count' publishes one after another on an idle system, each as soon as every
%% member has the previous one. Returns the mean makespan (publish to the last member's
%% receive) and the mean fan-out duration, in nanoseconds, leaving out the first publish
%% (cold caches).
probe(Config, Count) ->
    G = guild(Config),
    Keepers = maps:get(keepers, Config),
    Results = [probe_one(G, Keepers) || _ <- lists:seq(1, Count + 1)],
    {Makespans, Durations} = lists:unzip(tl(Results)),
    {lists:sum(Makespans) / Count, lists:sum(Durations) / Count}.

probe_one(G, Keepers) ->
    [K ! {self(), reset_probe} || K <- Keepers],
    [receive {K, reset_probe} -> ok end || K <- Keepers],
    Start = tb_clock:now(),
    fan_out(G, none, {chat, Start, G#guild.payload, self()}),
    End = tb_clock:now(),
    Last = lists:max([receive {all_received, T} -> T after 600000 -> exit(probe_timeout) end
                      || _ <- Keepers]),
    {Last - Start, End - Start}.
