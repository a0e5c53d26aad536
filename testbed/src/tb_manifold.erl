%% Manifold-style fan-out, written here after discord/manifold's design (docs/sources.md, MF):
%% the guild groups its recipients by node and makes one send per node, to that node's
%% partitioner; the partitioner splits the recipients among the node's workers by a hash of
%% each recipient's pid; the workers make the local sends.
%%
%% Order is kept as Manifold keeps it: one guild always uses the same partitioner (there is
%% one per node here), a recipient always hashes to the same worker, and messages between
%% two processes arrive in the order they were sent.
-module(tb_manifold).

-export([start_partitioner/1, send/3]).

%% Starts `Workers' workers and their partitioner on this node; returns the partitioner.
start_partitioner(Workers) ->
    Pids = list_to_tuple([spawn_link(fun worker/0) || _ <- lists:seq(1, Workers)]),
    spawn_link(fun() -> partitioner(Pids, Workers) end).

%% The guild's side: `Partitioners' maps each node to its partitioner.
send(Partitioners, Recipients, Msg) ->
    Groups = maps:groups_from_list(fun erlang:node/1, Recipients),
    maps:foreach(fun(Node, Pids) ->
                         maps:get(Node, Partitioners) ! {fan_out, Pids, Msg}
                 end,
                 Groups).

partitioner(Workers, Count) ->
    receive
        {fan_out, Pids, Msg} ->
            Shares = maps:groups_from_list(fun(P) -> erlang:phash2(P, Count) + 1 end, Pids),
            maps:foreach(fun(I, Share) -> element(I, Workers) ! {send, Share, Msg} end, Shares),
            partitioner(Workers, Count)
    end.

worker() ->
    receive
        {send, Pids, Msg} ->
            send_all(Pids, Msg),
            worker()
    end.

send_all([P | Ps], Msg) ->
    P ! Msg,
    send_all(Ps, Msg);
send_all([], _) ->
    ok.
