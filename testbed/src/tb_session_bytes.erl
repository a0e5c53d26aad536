%% What a gateway session process spends per byte of an event it sends to its client, in two
%% parts:
%%
%% - serialisation: the event, an Erlang map (a MESSAGE_CREATE or a PRESENCE_UPDATE dispatch:
%%   op, t, s, d), into bytes: `erlang:term_to_binary/1' (ETF, the gateway's `encoding=etf')
%%   and a small JSON encoder written here (an iolist, then `iolist_to_binary/1'), the JSON
%%   path's stand-in (OTP 25 has no json module; a NIF encoder such as jiffy would be faster).
%%   Reported in ns per output byte.
%% - compression: the gateway's `zlib-stream' transport: one deflate context per connection,
%%   kept across messages (`zlib:deflateInit(Z, default)' once), each message sync-flushed
%%   (`zlib:deflate(Z, Bin, sync)'). Reported in ns per input (uncompressed) byte, and the
%%   compression ratio (input bytes / output bytes) of the whole stream.
%%
%% The events: `messages' (default 10,000) of each kind, from seed `seed' (default 1). A chat
%% message has the fields of a guild MESSAGE_CREATE (author with id, username, global_name,
%% avatar, discriminator, public_flags; a partial member; mentions, embeds, attachments,
%% components; ids as decimal snowflake strings, increasing with time), among 1,000 authors and
%% 20 channels of one guild; its content is 1 + Exp(mean 10) words drawn Zipf-like from a
%% vocabulary of 160 (about 45 characters on average), now and then with a mention of another
%% user (8 %, who is then in `mentions'), a link, an emoji, a line break or a quoted word (these
%% last two need JSON escapes). A presence is a PRESENCE_UPDATE: user id, status,
%% client_status, one game among 50 in `activities' (sometimes with details and state). Map
%% keys are atoms, strings are binaries, as an Erlang gateway would hold them.
%%
%% Both kinds go through their own zlib stream, the JSON bytes (the usual transport) and, as
%% a second line, the ETF bytes; the bytes to compress are made beforehand, so the zlib time is
%% deflate's alone. Each of the `reps' repetitions (default 9, after one warm-up pass of
%% everything) times each (path, kind) over all its messages with
%% `erlang:monotonic_time(nanosecond)'. The events live in `persistent_term', so the timing
%% process's heap holds only its own garbage, as a session's would; the garbage collections
%% this garbage causes are in the times.
%%
%% One process, so one scheduler's view: a session node runs many schedulers, and these costs
%% are per scheduler-time (guildsim divides them by nothing). ns per message = ns per byte x
%% the mean size.
%%
%%   erlc -o /tmp/tbs testbed/src/tb_session_bytes.erl
%%   erl -noshell -pa /tmp/tbs -run tb_session_bytes main [messages=10000] [reps=9] [seed=1]
%%
%% prints one line per repetition (ns per byte of each path and kind), then one `key=value'
%% per line: the run's facts; the mean sizes `chat_bytes', `presence_bytes' (JSON),
%% `chat_etf_bytes', `presence_etf_bytes'; the medians over the repetitions of
%% `etf_ns_per_byte', `json_ns_per_byte',
%% `zlib_ns_per_byte' (JSON input), `zlib_etf_ns_per_byte' (both kinds' bytes over both kinds'
%% time), each also per kind (`chat_etf_ns_per_byte', ...); `chat_ratio', `presence_ratio'
%% (JSON), `chat_etf_ratio', `presence_etf_ratio'. About 10 s with the defaults.
-module(tb_session_bytes).

-export([main/0, main/1]).

-define(EVENTS, {?MODULE, events}).
-define(DISCORD_EPOCH_MS, 1420070400000).
-define(START_MS, 1714560000000). % 2024-05-01T10:40:00Z

%% `-run tb_session_bytes main' with no arguments calls main/0.
main() -> main([]).

main(Args) ->
    try
        Config = parse(Args),
        run(Config),
        halt(0)
    catch
        throw:{usage, Message} ->
            io:format(standard_error, "tb_session_bytes: ~s~n", [Message]),
            halt(2)
    end.

parse(Args) ->
    Defaults = #{messages => 10000, reps => 9, seed => 1},
    lists:foldl(fun(Arg, Acc) ->
                        case string:split(Arg, "=") of
                            [Key, Value] ->
                                K = list_to_atom(Key),
                                is_map_key(K, Defaults) orelse
                                    throw({usage, "unknown argument " ++ Key}),
                                case string:to_integer(Value) of
                                    {N, []} when N > 0 -> Acc#{K => N};
                                    _ -> throw({usage, Key ++ " must be a positive integer"})
                                end;
                            _ ->
                                throw({usage, "arguments are KEY=VALUE"})
                        end
                end,
                Defaults, Args).

%%% The run

run(#{messages := N, reps := Reps, seed := Seed}) ->
    rand:seed(exsss, {Seed, Seed, Seed}),
    World = world(),
    Chat = list_to_tuple([chat_event(World, I) || I <- lists:seq(1, N)]),
    Presence = list_to_tuple([presence_event(World, I) || I <- lists:seq(1, N)]),
    %% The bytes deflate is given, made once.
    Bytes = #{{json, chat} => list_to_tuple([json(E) || E <- tuple_to_list(Chat)]),
              {json, presence} => list_to_tuple([json(E) || E <- tuple_to_list(Presence)]),
              {etf, chat} => list_to_tuple([term_to_binary(E) || E <- tuple_to_list(Chat)]),
              {etf, presence} => list_to_tuple([term_to_binary(E)
                                                || E <- tuple_to_list(Presence)])},
    persistent_term:put(?EVENTS, {#{chat => Chat, presence => Presence}, Bytes}),
    erlang:garbage_collect(),
    Ratios = maps:map(fun(_, Bins) -> {_, In, Out} = deflate_stream(Bins), In / Out end,
                      Bytes),
    _ = one_rep(), % warm-up
    Runs = [begin
                R = one_rep(),
                io:format("rep=~b ~s~n", [I, rep_line(R)]),
                R
            end
            || I <- lists:seq(1, Reps)],
    Size = fun(Kind, Enc) ->
                   Bins = maps:get({Enc, Kind}, Bytes),
                   total_size(Bins) / tuple_size(Bins)
           end,
    Med = fun(Key) -> median([maps:get(Key, R) || R <- Runs]) end,
    Lines =
        [{"messages", integer, N}, {"reps", integer, Reps}, {"seed", integer, Seed},
         {"otp", string, erlang:system_info(otp_release)},
         {"emulator", string, atom_to_list(erlang:system_info(emu_flavor))},
         {"schedulers", integer, erlang:system_info(schedulers_online)},
         {"cpu", string, cpu_model()},
         {"chat_bytes", 1, Size(chat, json)},
         {"presence_bytes", 1, Size(presence, json)},
         {"chat_etf_bytes", 1, Size(chat, etf)},
         {"presence_etf_bytes", 1, Size(presence, etf)},
         {"etf_ns_per_byte", 3, Med({etf, both})},
         {"chat_etf_ns_per_byte", 3, Med({etf, chat})},
         {"presence_etf_ns_per_byte", 3, Med({etf, presence})},
         {"json_ns_per_byte", 3, Med({json, both})},
         {"chat_json_ns_per_byte", 3, Med({json, chat})},
         {"presence_json_ns_per_byte", 3, Med({json, presence})},
         {"zlib_ns_per_byte", 3, Med({zlib_json, both})},
         {"chat_zlib_ns_per_byte", 3, Med({zlib_json, chat})},
         {"presence_zlib_ns_per_byte", 3, Med({zlib_json, presence})},
         {"zlib_etf_ns_per_byte", 3, Med({zlib_etf, both})},
         {"chat_zlib_etf_ns_per_byte", 3, Med({zlib_etf, chat})},
         {"presence_zlib_etf_ns_per_byte", 3, Med({zlib_etf, presence})},
         {"chat_ratio", 3, maps:get({json, chat}, Ratios)},
         {"presence_ratio", 3, maps:get({json, presence}, Ratios)},
         {"chat_etf_ratio", 3, maps:get({etf, chat}, Ratios)},
         {"presence_etf_ratio", 3, maps:get({etf, presence}, Ratios)}],
    lists:foreach(fun({Key, integer, V}) -> io:format("~s=~b~n", [Key, V]);
                     ({Key, string, V}) -> io:format("~s=~s~n", [Key, V]);
                     ({Key, Digits, V}) -> io:format("~s=~.*f~n", [Key, Digits, V])
                  end,
                  Lines).

%% One repetition: `#{{Path, Kind} => ns per byte}', Path etf, json, zlib_json or zlib_etf,
%% Kind chat, presence or both (the two kinds' time over their bytes).
one_rep() ->
    {Events, Bytes} = persistent_term:get(?EVENTS),
    lists:foldl(fun(Path, Acc) ->
                        {Nc, Bc} = time_path(Path, chat, Events, Bytes),
                        {Np, Bp} = time_path(Path, presence, Events, Bytes),
                        Acc#{{Path, chat} => Nc / Bc, {Path, presence} => Np / Bp,
                             {Path, both} => (Nc + Np) / (Bc + Bp)}
                end,
                #{}, [etf, json, zlib_json, zlib_etf]).

%% `{Nanoseconds, Bytes}': serialisation counts output bytes, deflate input bytes.
time_path(etf, Kind, Events, _) ->
    Es = maps:get(Kind, Events),
    garbage_collect(),
    T0 = erlang:monotonic_time(nanosecond),
    B = etf_loop(Es, tuple_size(Es), 0),
    {erlang:monotonic_time(nanosecond) - T0, B};
time_path(json, Kind, Events, _) ->
    Es = maps:get(Kind, Events),
    garbage_collect(),
    T0 = erlang:monotonic_time(nanosecond),
    B = json_loop(Es, tuple_size(Es), 0),
    {erlang:monotonic_time(nanosecond) - T0, B};
time_path(zlib_json, Kind, _, Bytes) ->
    {Ns, In, _} = deflate_stream(maps:get({json, Kind}, Bytes)),
    {Ns, In};
time_path(zlib_etf, Kind, _, Bytes) ->
    {Ns, In, _} = deflate_stream(maps:get({etf, Kind}, Bytes)),
    {Ns, In}.

etf_loop(_, 0, B) -> B;
etf_loop(Es, I, B) -> etf_loop(Es, I - 1, B + byte_size(term_to_binary(element(I, Es)))).

json_loop(_, 0, B) -> B;
json_loop(Es, I, B) -> json_loop(Es, I - 1, B + byte_size(json(element(I, Es)))).

%% One connection's zlib-stream over the messages in order: `{Nanoseconds, InputBytes,
%% OutputBytes}', the time the deflate calls' alone (the context is made and closed outside).
deflate_stream(Bins) ->
    Z = zlib:open(),
    ok = zlib:deflateInit(Z, default),
    garbage_collect(),
    T0 = erlang:monotonic_time(nanosecond),
    Out = deflate_loop(Z, Bins, 1, tuple_size(Bins), 0),
    Ns = erlang:monotonic_time(nanosecond) - T0,
    ok = zlib:close(Z), % a stream left open, as a connection's is (deflateEnd would refuse)
    {Ns, total_size(Bins), Out}.

deflate_loop(_, _, I, N, Out) when I > N -> Out;
deflate_loop(Z, Bins, I, N, Out) ->
    deflate_loop(Z, Bins, I + 1, N, Out + iolist_size(zlib:deflate(Z, element(I, Bins), sync))).

total_size(Bins) -> lists:sum([byte_size(B) || B <- tuple_to_list(Bins)]).

rep_line(R) ->
    string:join([io_lib:format("~s_~s_ns_per_byte=~.3f", [Kind, Path, maps:get({Path, Kind}, R)])
                 || Path <- [etf, json, zlib_json, zlib_etf], Kind <- [chat, presence]],
                " ").

median(Xs) ->
    S = lists:sort(Xs),
    N = length(S),
    case N rem 2 of
        1 -> lists:nth((N + 1) div 2, S);
        0 -> (lists:nth(N div 2, S) + lists:nth(N div 2 + 1, S)) / 2
    end.

cpu_model() ->
    case file:read_file("/proc/cpuinfo") of
        {ok, Text} ->
            case [string:trim(V) || L <- string:split(binary_to_list(Text), "\n", all),
                                    [K, V] <- [string:split(L, ":")],
                                    string:trim(K) =:= "model name"] of
                [M | _] -> M;
                [] -> "unknown"
            end;
        {error, _} -> "unknown"
    end.

%%% The events

%% The guild, its channels, roles, users and games.
world() ->
    Guild = snowflake(?START_MS - 900 * 86400000),
    Users = list_to_tuple([user(I) || I <- lists:seq(1, 1000)]),
    #{guild => Guild,
      channels => list_to_tuple([snowflake(?START_MS - (800 - I) * 86400000)
                                 || I <- lists:seq(1, 20)]),
      roles => list_to_tuple([snowflake(?START_MS - (700 - I) * 86400000)
                              || I <- lists:seq(1, 12)]),
      users => Users,
      games => list_to_tuple([game(I) || I <- lists:seq(1, 50)])}.

user(_) ->
    Created = ?START_MS - rand:uniform(8 * 365) * 86400000,
    Name = iolist_to_binary([word(), word(), case rand:uniform(2) of
                                                 1 -> integer_to_binary(rand:uniform(999));
                                                 2 -> <<>>
                                             end]),
    Member = #{roles => [pick_role() || _ <- lists:seq(1, rand:uniform(4) - 1)],
               joined_at => timestamp(Created + rand:uniform(300) * 86400000),
               premium_since => null,
               nick => perhaps(0.2, fun() -> capitalise(word()) end),
               avatar => null, mute => false, deaf => false, flags => 0, pending => false,
               communication_disabled_until => null},
    #{user => #{id => snowflake(Created), username => Name,
                global_name => perhaps(0.7, fun() -> capitalise(word()) end),
                avatar => perhaps(0.8, fun() -> hex(16) end),
                discriminator => <<"0">>,
                public_flags => case rand:uniform(10) of 1 -> 64; 2 -> 128; _ -> 0 end,
                avatar_decoration_data => null},
      member => Member}.

%% Role indices into the world's roles (a user is made before the world's tuple exists).
pick_role() -> rand:uniform(12).

game(I) ->
    #{name => iolist_to_binary(lists:join(" ", [capitalise(word())
                                                || _ <- lists:seq(1, 1 + I rem 3)])),
      application_id => snowflake(?START_MS - rand:uniform(2000) * 86400000)}.

chat_event(#{guild := Guild, channels := Channels, roles := Roles, users := Users}, I) ->
    Ms = ?START_MS + I * 700,
    #{user := Author, member := Member0} = pick(Users),
    Member = Member0#{roles := [element(R, Roles) || R <- maps:get(roles, Member0)]},
    {Mentions, Prefix} =
        case rand:uniform() < 0.08 of
            true ->
                #{user := M} = pick(Users),
                {[M#{member => #{roles => [], joined_at => timestamp(Ms - 86400000 * 30),
                                 premium_since => null, nick => null, avatar => null,
                                 mute => false, deaf => false, flags => 0,
                                 pending => false, communication_disabled_until => null}}],
                 [<<"<@">>, maps:get(id, M), <<"> ">>]};
            false -> {[], []}
        end,
    Id = snowflake(Ms),
    #{op => 0, t => 'MESSAGE_CREATE', s => I,
      d => #{type => 0, tts => false, timestamp => timestamp(Ms), pinned => false,
             nonce => perhaps(0.8, fun() -> snowflake(Ms - 120) end),
             mentions => Mentions, mention_roles => [], mention_everyone => false,
             member => Member, id => Id, flags => 0, embeds => [],
             edited_timestamp => null, content => iolist_to_binary([Prefix | content()]),
             components => [], channel_id => pick(Channels), author => Author,
             attachments => [], guild_id => Guild}}.

presence_event(#{guild := Guild, users := Users, games := Games}, I) ->
    Ms = ?START_MS + I * 700,
    #{user := #{id := UserId}} = pick(Users),
    Status = element(rand:uniform(3), {<<"online">>, <<"idle">>, <<"dnd">>}),
    Client = element(rand:uniform(3), {desktop, mobile, web}),
    #{name := Name, application_id := App} = pick(Games),
    Started = Ms - rand:uniform(3600000),
    Game0 = #{name => Name, type => 0, id => hex(8), created_at => Started,
              timestamps => #{start => Started}, application_id => App},
    Game = case rand:uniform(10) of
               N when N =< 3 ->
                   Game0#{details => iolist_to_binary([capitalise(word()), " ", word()]),
                          state => iolist_to_binary(["In ", word(), " (",
                                                     integer_to_binary(rand:uniform(4)),
                                                     " of 4)"])};
               _ -> Game0
           end,
    #{op => 0, t => 'PRESENCE_UPDATE', s => I,
      d => #{user => #{id => UserId}, status => Status, guild_id => Guild,
             client_status => #{Client => Status}, activities => [Game]}}.

%% 1 + Exp(mean 10) words, capped at 400; a few with a link, an emoji, a line break or quotes.
content() ->
    N = min(400, 1 + trunc(-10 * math:log(1 - rand:uniform()))),
    Words = [decorate(word()) || _ <- lists:seq(1, N)],
    lists:join(" ", Words).

decorate(W) ->
    case rand:uniform(200) of
        1 -> [<<"https://tenor.com/view/">>, W, <<"-gif-">>,
              integer_to_binary(10000000 + rand:uniform(89999999))];
        2 -> [W, <<" \xf0\x9f\x98\x82"/utf8>>]; % 😂, as its UTF-8 bytes
        3 -> [W, <<"\n">>];
        4 -> [<<"\"">>, W, <<"\"">>];
        _ -> W
    end.

word() ->
    V = tuple_size(vocabulary()),
    element(min(V, trunc(math:pow(V + 1, rand:uniform()))), vocabulary()).

vocabulary() ->
    {<<"the">>, <<"i">>, <<"you">>, <<"to">>, <<"a">>, <<"and">>, <<"it">>, <<"is">>,
     <<"lol">>, <<"that">>, <<"of">>, <<"in">>, <<"for">>, <<"just">>, <<"this">>, <<"so">>,
     <<"me">>, <<"on">>, <<"not">>, <<"but">>, <<"be">>, <<"what">>, <<"have">>, <<"do">>,
     <<"like">>, <<"was">>, <<"yeah">>, <<"we">>, <<"are">>, <<"my">>, <<"no">>, <<"can">>,
     <<"get">>, <<"with">>, <<"if">>, <<"all">>, <<"at">>, <<"its">>, <<"he">>, <<"they">>,
     <<"one">>, <<"how">>, <<"ok">>, <<"gg">>, <<"now">>, <<"up">>, <<"when">>, <<"know">>,
     <<"good">>, <<"out">>, <<"your">>, <<"go">>, <<"think">>, <<"game">>, <<"time">>,
     <<"about">>, <<"would">>, <<"there">>, <<"why">>, <<"people">>, <<"yes">>, <<"got">>,
     <<"from">>, <<"or">>, <<"really">>, <<"more">>, <<"want">>, <<"bro">>, <<"play">>,
     <<"see">>, <<"still">>, <<"need">>, <<"some">>, <<"did">>, <<"then">>, <<"server">>,
     <<"anyone">>, <<"new">>, <<"make">>, <<"day">>, <<"wait">>, <<"also">>, <<"idk">>,
     <<"well">>, <<"because">>, <<"only">>, <<"thanks">>, <<"been">>, <<"right">>,
     <<"even">>, <<"never">>, <<"going">>, <<"lmao">>, <<"will">>, <<"should">>, <<"back">>,
     <<"much">>, <<"who">>, <<"last">>, <<"night">>, <<"round">>, <<"team">>, <<"match">>,
     <<"update">>, <<"patch">>, <<"build">>, <<"voice">>, <<"channel">>, <<"stream">>,
     <<"tomorrow">>, <<"tonight">>, <<"weekend">>, <<"ranked">>, <<"queue">>, <<"lag">>,
     <<"ping">>, <<"mod">>, <<"role">>, <<"anyway">>, <<"actually">>, <<"probably">>,
     <<"literally">>, <<"honestly">>, <<"someone">>, <<"something">>, <<"everyone">>,
     <<"nobody">>, <<"again">>, <<"better">>, <<"worse">>, <<"first">>, <<"second">>,
     <<"friend">>, <<"friends">>, <<"music">>, <<"song">>, <<"album">>, <<"movie">>,
     <<"episode">>, <<"season">>, <<"hours">>, <<"minutes">>, <<"started">>, <<"finished">>,
     <<"broken">>, <<"fixed">>, <<"working">>, <<"download">>, <<"install">>, <<"settings">>,
     <<"screenshot">>, <<"clip">>, <<"meme">>, <<"emoji">>, <<"sticker">>, <<"nitro">>,
     <<"birthday">>, <<"congrats">>, <<"welcome">>, <<"morning">>, <<"sleep">>, <<"food">>,
     <<"pizza">>, <<"coffee">>, <<"school">>, <<"work">>, <<"exam">>, <<"homework">>}.

capitalise(<<C, Rest/binary>>) when C >= $a, C =< $z -> <<(C - 32), Rest/binary>>;
capitalise(W) -> W.

pick(Tuple) -> element(rand:uniform(tuple_size(Tuple)), Tuple).

perhaps(P, Fun) ->
    case rand:uniform() < P of
        true -> Fun();
        false -> null
    end.

%% A snowflake at `Ms', as Discord's JSON carries it: a decimal string.
snowflake(Ms) ->
    integer_to_binary(((Ms - ?DISCORD_EPOCH_MS) bsl 22) bor ((rand:uniform(1024) - 1) bsl 12)
                      bor (rand:uniform(4096) - 1)).

timestamp(Ms) ->
    list_to_binary(calendar:system_time_to_rfc3339(Ms * 1000, [{unit, microsecond},
                                                               {offset, "+00:00"}])).

%% `Bytes' random bytes as lowercase hex (an avatar hash, an activity id).
hex(Bytes) -> << <<(element(rand:uniform(16), {$0, $1, $2, $3, $4, $5, $6, $7, $8, $9,
                                               $a, $b, $c, $d, $e, $f}))>>
                 || _ <- lists:seq(1, 2 * Bytes) >>.

%%% A small JSON encoder: maps with atom or binary keys, lists, binaries (UTF-8 strings),
%%% integers, floats, atoms (null, true, false, others as strings).

json(Term) -> iolist_to_binary(value(Term)).

value(B) when is_binary(B) -> string(B);
value(I) when is_integer(I) -> integer_to_binary(I);
value(M) when is_map(M) -> object(maps:to_list(M));
value(L) when is_list(L) -> array(L);
value(null) -> <<"null">>;
value(true) -> <<"true">>;
value(false) -> <<"false">>;
value(A) when is_atom(A) -> string(atom_to_binary(A));
value(F) when is_float(F) -> float_to_binary(F, [short]).

object([]) -> <<"{}">>;
object([{K, V} | Rest]) -> [${, key(K), $:, value(V) | members(Rest)].

members([]) -> [$}];
members([{K, V} | Rest]) -> [$,, key(K), $:, value(V) | members(Rest)].

key(K) when is_atom(K) -> string(atom_to_binary(K));
key(K) when is_binary(K) -> string(K).

array([]) -> <<"[]">>;
array([V | Rest]) -> [$[, value(V) | elements(Rest)].

elements([]) -> [$]];
elements([V | Rest]) -> [$,, value(V) | elements(Rest)].

string(B) ->
    case clean(B) of
        true -> [$", B, $"];
        false -> [$", escape(B, 0, B), $"]
    end.

%% Whether no byte needs an escape (UTF-8 above 127 goes through as it is).
clean(<<C, _/binary>>) when C < 32; C =:= $"; C =:= $\\ -> false;
clean(<<_, Rest/binary>>) -> clean(Rest);
clean(<<>>) -> true.

%% Runs of clean bytes as sub-binaries, the others escaped; `Run' is where the current run of
%% clean bytes starts, `Len' its length so far.
escape(<<C, Rest/binary>>, Len, Run) when C < 32; C =:= $"; C =:= $\\ ->
    [binary:part(Run, 0, Len), escape_char(C) | escape(Rest, 0, Rest)];
escape(<<_, Rest/binary>>, Len, Run) -> escape(Rest, Len + 1, Run);
escape(<<>>, _, Run) -> Run.

escape_char($") -> <<"\\\"">>;
escape_char($\\) -> <<"\\\\">>;
escape_char($\n) -> <<"\\n">>;
escape_char($\r) -> <<"\\r">>;
escape_char($\t) -> <<"\\t">>;
escape_char(C) -> io_lib:format("\\u~4.16.0b", [C]).
