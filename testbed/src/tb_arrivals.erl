%% The arrivals of a run: chat publishes as a Poisson process at `Rate' per second, and
%% presence changes as one at `PresenceRate' per session per second (each from a member
%% drawn uniformly), over `[Start, Start + Duration)'. Each stream has its own generator
%% seeded from the run's seed and the stream's name, so adding presence changes does not
%% move a single publish.
%%
%% `wait_until/1' is how the guild waits for the next arrival: Erlang's timers have
%% millisecond resolution, so it sleeps in `receive ... after' while the arrival is more than
%% 2 ms away, then yields to every other runnable process until the time has come (a
%% scheduler it shares with sessions runs them meanwhile).
-module(tb_arrivals).

-export([new/6, next/1, wait_until/1]).

-record(arrivals, {
    chat :: {integer(), rand:state()} | done,
    presence :: {integer(), rand:state()} | done,
    chat_rate :: float(),
    presence_rate :: float(),
    members :: pos_integer(),
    start :: integer(),
    stop :: integer()
}).

%% `Start' in nanoseconds (Erlang monotonic time); rates per second; `Duration' in seconds.
new(Seed, Start, Duration, Rate, PresencePerSession, Members) ->
    Stop = Start + round(Duration * 1.0e9),
    PresenceRate = PresencePerSession * Members,
    A = #arrivals{chat_rate = float(Rate), presence_rate = float(PresenceRate),
                  members = Members, start = Start, stop = Stop,
                  chat = done, presence = done},
    A#arrivals{chat = first(Seed, 1, Rate, A), presence = first(Seed, 2, PresenceRate, A)}.

first(_, _, Rate, _) when Rate =< 0 ->
    done;
first(Seed, Stream, Rate, A) ->
    step(A#arrivals.start, 0.0, rand:seed_s(exsss, {Seed, Stream, 16#5eed}), Rate, A).

%% The stream's next time after `Elapsed' seconds from the start (kept as a float sum so
%% that rounding never accumulates).
step(_, Elapsed, State, Rate, A) ->
    {U, State1} = rand:uniform_s(State),
    Next = Elapsed - math:log(1.0 - U) / Rate,
    T = A#arrivals.start + round(Next * 1.0e9),
    if
        T >= A#arrivals.stop -> done;
        true -> {T, Next, State1}
    end.

%% The next arrival: `{T, chat | {presence, MemberIndex}, Arrivals}', or `done'.
next(#arrivals{chat = done, presence = done}) ->
    done;
next(#arrivals{chat = {Tc, _, _} = C, presence = P} = A) when P =:= done;
                                                               Tc =< element(1, P) ->
    {Tc, chat, A#arrivals{chat = advance(C, A#arrivals.chat_rate, A)}};
next(#arrivals{presence = {Tp, Elapsed, State}} = A) ->
    {I, State1} = rand:uniform_s(A#arrivals.members, State),
    Next = advance({Tp, Elapsed, State1}, A#arrivals.presence_rate, A),
    {Tp, {presence, I}, A#arrivals{presence = Next}}.

advance({T, Elapsed, State}, Rate, A) ->
    step(T, Elapsed, State, Rate, A).

%% Waits until Erlang monotonic time `T' (nanoseconds); returns how late it woke (0 if `T'
%% had passed already).
wait_until(T) ->
    Left = T - erlang:monotonic_time(nanosecond),
    if
        Left > 2000000 ->
            receive after (Left div 1000000) - 1 -> ok end,
            wait_until(T);
        Left > 0 ->
            erlang:yield(),
            wait_until(T);
        true ->
            -Left
    end.
