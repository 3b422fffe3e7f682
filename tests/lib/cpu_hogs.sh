# Sourced by tests that must hold under CPU contention (more runnable
# threads than cores: preemption inside enclave code is normal life,
# ../shared ground rules; e.g. libos/tests/libos_threads_test.sh):
#
#   cpu_hogs_start [N]   N busy loops (default: twice the cores) for the
#                        test's duration
#   cpu_hogs_alive       true if every one still runs (call it at the end:
#                        else the test did not run under contention)
#   cpu_hogs_stop        ends them (call it from the test's EXIT trap)
#
# Each hog also ends by itself when the test's shell is gone (a ctest
# timeout kills it with SIGKILL, which runs no trap) or after 15 minutes,
# so none outlives its test.

cpu_hog_pids=()

cpu_hogs_start() {  # cpu_hogs_start [N]
  local n=${1:-$((2 * $(nproc)))} parent=$$ i
  for ((i = 0; i < n; ++i)); do
    (
      trap - EXIT
      end=$((SECONDS + 900))
      # kill -0 is a builtin: the loop is all CPU, and stops with its parent.
      while kill -0 "$parent" 2>/dev/null && [ $SECONDS -lt $end ]; do :; done
    ) &
    cpu_hog_pids+=($!)
  done
  echo "cpu_hogs: $n busy loops on $(nproc) cores"
}

cpu_hogs_alive() {
  local p
  for p in "${cpu_hog_pids[@]}"; do
    kill -0 "$p" 2>/dev/null || return 1
  done
  [ ${#cpu_hog_pids[@]} -gt 0 ]
}

cpu_hogs_stop() {
  [ ${#cpu_hog_pids[@]} -eq 0 ] && return 0
  kill -KILL "${cpu_hog_pids[@]}" 2>/dev/null
  wait "${cpu_hog_pids[@]}" 2>/dev/null
  cpu_hog_pids=()
}
