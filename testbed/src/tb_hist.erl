%% Latency histograms that many processes record into at once, and summaries of them.
%%
%% A histogram is one `atomics' array per scheduler: a session records a sample into the
%% array of the scheduler it runs on, so recording is a handful of atomic updates that no
%% other scheduler contends for. Buckets are log-linear: values below 1024 ns are exact;
%% above, each power of two is cut into 512 buckets, so a bucket's midpoint is within 0.1 %
%% of any value in it. Count, sum (hence mean) and maximum are exact.
%%
%% Fan-out durations are few (one per publish): `exact/1' summarises a plain list of them.
-module(tb_hist).

-export([new/0, record/2, count/1, dump/1, merge/2, summary/1, exact/1, bucket/1, midpoint/1]).

-define(SUB_BITS, 10).
-define(HALF, 512).
%% Values from 2^44 ns (about 4.9 hours) on go to the last bucket (the maximum stays exact).
-define(MAX_SHIFT, 34).
-define(BUCKETS, (1024 + ?MAX_SHIFT * ?HALF)).
-define(COUNT, (?BUCKETS + 1)).
-define(SUM, (?BUCKETS + 2)).
-define(MAX, (?BUCKETS + 3)).

%% A new histogram on this node: a tuple of one atomics array per scheduler.
new() ->
    list_to_tuple([atomics:new(?MAX, [{signed, true}])
                   || _ <- lists:seq(1, erlang:system_info(schedulers))]).

%% Records one sample (nanoseconds; a negative one, impossible on one clock, counts as 0).
record(Hist, Value) when Value < 0 ->
    record(Hist, 0);
record(Hist, Value) ->
    A = element(erlang:system_info(scheduler_id), Hist),
    atomics:add(A, bucket(Value) + 1, 1),
    atomics:add(A, ?SUM, Value),
    atomics:add(A, ?COUNT, 1),
    bump_max(A, Value).

bump_max(A, Value) ->
    Current = atomics:get(A, ?MAX),
    if
        Value > Current ->
            case atomics:compare_exchange(A, ?MAX, Current, Value) of
                ok -> ok;
                _ -> bump_max(A, Value)
            end;
        true ->
            ok
    end.

%% Samples recorded so far (cheap: one read per scheduler).
count(Hist) ->
    lists:sum([atomics:get(A, ?COUNT) || A <- tuple_to_list(Hist)]).

%% The histogram's contents as a plain term (it can cross nodes):
%% {Count, Sum, Max, [{BucketIndex, N}]} with the non-empty buckets in index order.
dump(Hist) ->
    Arrays = tuple_to_list(Hist),
    Get = fun(I) -> lists:sum([atomics:get(A, I) || A <- Arrays]) end,
    Buckets = [B || {_, N} = B <- [{I - 1, Get(I)} || I <- lists:seq(1, ?BUCKETS)], N > 0],
    {Get(?COUNT), Get(?SUM), lists:max([atomics:get(A, ?MAX) || A <- Arrays]), Buckets}.

%% Two dumps merged exactly.
merge({C1, S1, M1, B1}, {C2, S2, M2, B2}) ->
    {C1 + C2, S1 + S2, max(M1, M2), merge_buckets(B1, B2)}.

merge_buckets([{I, N1} | R1], [{I, N2} | R2]) -> [{I, N1 + N2} | merge_buckets(R1, R2)];
merge_buckets([{I1, _} = A | R1], [{I2, _} | _] = B) when I1 < I2 -> [A | merge_buckets(R1, B)];
merge_buckets(A, [B | R2]) when A =/= [] -> [B | merge_buckets(A, R2)];
merge_buckets([], B) -> B;
merge_buckets(A, []) -> A.

%% The summary of a dump, in nanoseconds: #{count, mean, p50, p90, p99, p999, max}; the
%% statistics are `none' without samples. A percentile is the midpoint of the bucket that holds
%% the order statistic of rank ceil(p * count), at most the maximum.
summary({0, _, _, _}) ->
    #{count => 0, mean => none, p50 => none, p90 => none, p99 => none, p999 => none,
      max => none};
summary({Count, Sum, Max, Buckets}) ->
    Ranks = [{Key, rank(P, Count)} || {Key, P} <- [{p50, 0.5}, {p90, 0.9}, {p99, 0.99},
                                                   {p999, 0.999}]],
    Found = walk(Buckets, 0, Ranks, #{}),
    maps:merge(#{count => Count, mean => Sum / Count, max => float(Max)},
               maps:map(fun(_, Mid) -> min(Mid, float(Max)) end, Found)).

walk(_, _, [], Acc) ->
    Acc;
walk([{I, N} | Rest], Below, [{Key, Rank} | Ranks] = All, Acc) ->
    case Below + N >= Rank of
        true -> walk([{I, N} | Rest], Below, Ranks, Acc#{Key => midpoint(I)});
        false -> walk(Rest, Below + N, All, Acc)
    end.

rank(P, Count) ->
    max(1, ceil_int(P * Count)).

ceil_int(X) ->
    T = trunc(X),
    if X > T -> T + 1; true -> T end.

%% The summary of a list of samples by exact order statistics (nearest rank).
exact([]) ->
    summary({0, 0, 0, []});
exact(Values) ->
    Sorted = list_to_tuple(lists:sort(Values)),
    Count = tuple_size(Sorted),
    At = fun(P) -> float(element(rank(P, Count), Sorted)) end,
    #{count => Count, mean => lists:sum(Values) / Count, p50 => At(0.5), p90 => At(0.9),
      p99 => At(0.99), p999 => At(0.999), max => float(element(Count, Sorted))}.

%% The bucket (0-based) of a value in nanoseconds.
bucket(Value) when Value < 1024 ->
    Value;
bucket(Value) ->
    Shift = bit_length(Value bsr ?SUB_BITS, 0),
    if
        Shift > ?MAX_SHIFT -> ?BUCKETS - 1;
        true -> 1024 + (Shift - 1) * ?HALF + (Value bsr Shift) - ?HALF
    end.

bit_length(0, N) -> N;
bit_length(V, N) -> bit_length(V bsr 1, N + 1).

%% The midpoint of a bucket, in nanoseconds.
midpoint(I) when I < 1024 ->
    float(I);
midpoint(I) ->
    Shift = (I - 1024) div ?HALF + 1,
    M = (I - 1024) rem ?HALF + ?HALF,
    ((M bsl Shift) + ((M + 1) bsl Shift) - 1) / 2.
