%% What a measurement ran on, for the comment lines at the top of its CSV file: the OTP
%% release and ERTS version, the emulator flavour (jit or emu), schedulers online, the CPU
%% model and logical CPUs from /proc/cpuinfo, the kernel, and the load average.
-module(tb_machine).

-export([facts/0, load_average/0]).

%% `[{Key, Text}]', in the order they are written.
facts() ->
    Cpu = read_file("/proc/cpuinfo"),
    [{"otp", erlang:system_info(otp_release)},
     {"erts", erlang:system_info(version)},
     {"emulator", atom_to_list(erlang:system_info(emu_flavor))},
     {"schedulers", integer_to_list(erlang:system_info(schedulers_online))},
     {"cpu", cpu_model(Cpu)},
     {"logical_cpus", integer_to_list(erlang:system_info(logical_processors_available))},
     {"kernel", kernel()}].

%% The 1, 5 and 15 minute load averages, as /proc/loadavg gives them ("unknown" elsewhere).
load_average() ->
    case string:lexemes(read_file("/proc/loadavg"), " \n") of
        [One, Five, Fifteen | _] -> lists:join(" ", [One, Five, Fifteen]);
        _ -> "unknown"
    end.

cpu_model(Text) ->
    Lines = string:split(Text, "\n", all),
    Models = [string:trim(V) || L <- Lines,
                                [K, V] <- [string:split(L, ":")],
                                string:trim(K) =:= "model name"],
    case Models of
        [M | _] -> M;
        [] -> "unknown"
    end.

kernel() ->
    case os:version() of
        {A, B, C} -> lists:flatten(io_lib:format("~p.~p.~p", [A, B, C]));
        Other -> lists:flatten(io_lib:format("~p", [Other]))
    end.

read_file(Path) ->
    case file:read_file(Path) of
        {ok, Bin} -> unicode:characters_to_list(Bin);
        {error, _} -> ""
    end.
