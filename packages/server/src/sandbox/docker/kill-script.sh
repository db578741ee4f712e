# Signals the processes of one command inside a sandbox. Every process the driver starts carries
# LUCID_SANDBOX_EXEC=<id> in its environment, and its descendants inherit it; the process the engine
# started (parent pid 0 in the container) leads its own session and process group.
#   $1  the marker, LUCID_SANDBOX_EXEC=<id>
#   $2  all:       kill the marked processes with their process groups and sessions
#       children:  kill the marked processes but the one the engine started, with their process
#                  groups but its own (a shell's foreground commands)
#       interrupt: send SIGUSR1 to the process the engine started
# Only bash builtins are used, so it still runs when the sandbox's process limit is reached.
marker=$1 mode=$2
for round in {1..50}; do
  declare -A groups=() sessions=()
  pids=() root_group=
  for dir in /proc/[0-9]*; do
    hit=
    while IFS= read -r -d '' entry; do
      if [[ $entry == "$marker" ]]; then hit=1 && break; fi
    done 2>/dev/null <"$dir/environ"
    [[ -n $hit ]] || continue
    read -r stat 2>/dev/null <"$dir/stat" || continue
    read -r -a fields <<<"${stat##*) }"
    [[ ${fields[0]} == Z ]] && continue
    if [[ ${fields[1]} == 0 && $mode != all ]]; then
      root_group=${fields[2]}
      [[ $mode == interrupt ]] && kill -USR1 "${dir#/proc/}" 2>/dev/null
      continue
    fi
    pids+=("${dir#/proc/}")
    groups[${fields[2]}]=1
    [[ $mode == all ]] && sessions[${fields[3]}]=1
  done
  [[ $mode == interrupt || ${#pids[@]} == 0 ]] && exit 0
  for group in "${!groups[@]}"; do
    if ((group > 1)) && [[ $group != "$root_group" ]]; then kill -KILL -- "-$group" 2>/dev/null; fi
  done
  kill -KILL "${pids[@]}" 2>/dev/null
  ((${#sessions[@]})) || continue
  for dir in /proc/[0-9]*; do
    read -r stat 2>/dev/null <"$dir/stat" || continue
    read -r -a fields <<<"${stat##*) }"
    if ((fields[3] > 1)) && [[ -n ${sessions[${fields[3]}]-} ]]; then
      kill -KILL "${dir#/proc/}" 2>/dev/null
    fi
  done
done
exit 1
