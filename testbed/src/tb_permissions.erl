%% What a guild process spends per recipient to find an event's recipients: it walks its
%% members, computes each member's permissions in the channel (the guild-wide permissions of
%% its roles, then the channel's overwrites for @everyone, its roles and itself, as Discord's
%% public developer documentation describes the computation), keeps those who may view the
%% channel and looks up their session. guildsim's `costs.permission_check_us` is this time per
%% member walked (docs/sources.md, TB-P).
%%
%% The guild (an assumption, stated in docs/sources.md): `roles' roles (default 20), each
%% member holding `member_roles' of them (default 3, drawn at random), one role with the
%% administrator bit, held by one member in a thousand; the channel has overwrites for @everyone and for `overwrites' roles
%% (default 5), and for one member in a thousand. Every member's session is a pid.
%%
%%   erl -noshell -pa testbed/_build/ebin -run tb_permissions main members=100000
%%
%% prints one line per repetition and then `ns_per_member=' (the median of `reps', default
%% 9, after one warm-up walk), and the share of members that may view the channel.
-module(tb_permissions).

-export([main/1]).

-define(VIEW_CHANNEL, 16#400).
-define(ADMINISTRATOR, 16#8).

main(Args) ->
    try
        Config = parse(Args),
        run(Config),
        halt(0)
    catch
        throw:{usage, Message} ->
            io:format(standard_error, "tb_permissions: ~s~n", [Message]),
            halt(2)
    end.

parse(Args) ->
    Defaults = #{members => 100000, roles => 20, member_roles => 3, overwrites => 5,
                 reps => 9, seed => 1},
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

run(#{members := N, roles := R, member_roles := K, overwrites := O, reps := Reps,
      seed := Seed}) ->
    rand:seed(exsss, {Seed, Seed, Seed}),
    Self = self(),
    %% Role 1 is @everyone (its id is the guild's); role 2 has the administrator bit.
    RolePerms = maps:from_list([{Id, role_perms(Id)} || Id <- lists:seq(1, R)]),
    Members = maps:from_list([{Id, {random_roles(Id, R, K), Self}} || Id <- lists:seq(1, N)]),
    %% The channel hides itself from @everyone and shows itself to `O' roles.
    Overwrites = #{everyone => {?VIEW_CHANNEL, 0},
                   roles => maps:from_list([{Id, {0, ?VIEW_CHANNEL}}
                                            || Id <- lists:seq(3, 2 + O)]),
                   members => maps:from_list([{Id, {0, ?VIEW_CHANNEL}}
                                              || Id <- lists:seq(1, N, 1000)])},
    Guild = {RolePerms, Members, Overwrites},
    _ = recipients(Guild),
    Times = [begin
                 T0 = erlang:monotonic_time(nanosecond),
                 Visible = length(recipients(Guild)),
                 T1 = erlang:monotonic_time(nanosecond),
                 io:format("rep=~b ns_per_member=~.3f visible=~b~n", [I, (T1 - T0) / N, Visible]),
                 {(T1 - T0) / N, Visible}
             end
             || I <- lists:seq(1, Reps)],
    Sorted = lists:sort([T || {T, _} <- Times]),
    Median = lists:nth((length(Sorted) + 1) div 2, Sorted),
    {_, Visible} = hd(Times),
    io:format("members=~b roles=~b member_roles=~b overwrites=~b otp=~s "
              "ns_per_member=~.3f visible_share=~.3f~n",
              [N, R, K, O, erlang:system_info(otp_release), Median, Visible / N]).

%% The sessions of the members who may view the channel.
recipients({RolePerms, Members, Overwrites}) ->
    maps:fold(fun(Id, {Roles, Session}, Acc) ->
                      case can_view(Id, Roles, RolePerms, Overwrites) of
                          true -> [Session | Acc];
                          false -> Acc
                      end
              end,
              [], Members).

can_view(Id, Roles, RolePerms, Overwrites) ->
    Base = lists:foldl(fun(Role, P) -> P bor maps:get(Role, RolePerms) end,
                       maps:get(1, RolePerms), Roles),
    case Base band ?ADMINISTRATOR of
        0 -> channel_perms(Id, Roles, Base, Overwrites) band ?VIEW_CHANNEL =/= 0;
        _ -> true
    end.

channel_perms(Id, Roles, Base, #{everyone := {EDeny, EAllow}, roles := RoleOw,
                                  members := MemberOw}) ->
    P0 = (Base band bnot EDeny) bor EAllow,
    {Deny, Allow} = lists:foldl(fun(Role, {D, A}) ->
                                        case RoleOw of
                                            #{Role := {RD, RA}} -> {D bor RD, A bor RA};
                                            _ -> {D, A}
                                        end
                                end,
                                {0, 0}, Roles),
    P1 = (P0 band bnot Deny) bor Allow,
    case MemberOw of
        #{Id := {MD, MA}} -> (P1 band bnot MD) bor MA;
        _ -> P1
    end.

role_perms(2) -> ?ADMINISTRATOR bor ?VIEW_CHANNEL;
role_perms(Id) -> (Id * 2654435761) band 16#3fffffff band bnot ?ADMINISTRATOR.

%% `K' roles among 3..R; one member in a thousand also holds the administrator role.
random_roles(Id, R, K) ->
    Roles = lists:usort([2 + rand:uniform(max(R - 2, 1)) || _ <- lists:seq(1, K)]),
    case Id rem 1000 of
        0 -> [2 | Roles];
        _ -> Roles
    end.
