#!/usr/bin/env bash
# The two commands of the README.
#
#   bash cmake/run.sh main   install what is missing, build Release, run emdb-example on a fresh
#                            database, then inspect that database with the emdb CLI
#   bash cmake/run.sh test   install what is missing, then build and run the test suite twice:
#                            RelWithDebInfo with -Werror (preset ci), and ASan+UBSan (preset asan)
#
# Never prompts (CI has no stdin). Exits non-zero if any step fails. Build trees go to
# build/<preset> (see CMakePresets.json). EMDB_JOBS overrides the parallelism (default: nproc).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
JOBS=${EMDB_JOBS:-$(nproc 2>/dev/null || echo 2)}

# Debian packages the build, the tests and the benchmarks need.
PACKAGES=(cmake ninja-build g++ pkg-config libboost-dev libgtest-dev libgmock-dev libcli11-dev
          libspdlog-dev libbenchmark-dev liblmdb-dev lmdb-utils)

log() { printf '\n==> %s\n' "$*"; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

step() {  # log a command, then run it
  log "${*#"$ROOT/"}"
  "$@"
}

elapsed() {  # seconds -> "1m23s"
  printf '%dm%02ds' $(($1 / 60)) $(($1 % 60))
}

install_missing_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    log "not a Debian system: make sure these are installed: ${PACKAGES[*]}"
    return 0
  fi
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "dependencies: all installed"
    return 0
  fi
  log "installing missing packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 ||
      die "missing packages (${missing[*]}) and not root, and sudo is not available"
    sudo=(sudo -n)  # -n: fail instead of asking for a password
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}

# configure_and_build PRESET [TARGET...]: configure build/PRESET from CMakePresets.json and
# build it (only the given targets, if any).
configure_and_build() {
  local preset=$1 launcher=() targets=()
  shift
  [ $# -eq 0 ] || targets=(--target "$@")
  if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  log "configure ($preset)"
  cmake --preset "$preset" "${launcher[@]}" </dev/null &&
    log "build ($preset, -j$JOBS)" &&
    cmake --build --preset "$preset" -j "$JOBS" "${targets[@]}" </dev/null
}

# run_tests PRESET: the whole suite except the long soak/crash runs.
run_tests() {
  local preset=$1 exclude=() names
  # tests/known-failures.txt: tests that fail against the current engine (tracked in the
  # issues). They are listed loudly and left out so the rest of the suite gates changes.
  if [ -f "$ROOT/tests/known-failures.txt" ]; then
    names=$(grep -v '^\s*#' "$ROOT/tests/known-failures.txt" | grep -v '^\s*$' |
      sed -e 's/^/^/' | paste -sd'|' -)
    if [ -n "$names" ]; then
      log "known failures excluded ($(grep -cv '^\s*#\|^\s*$' "$ROOT/tests/known-failures.txt")): see tests/known-failures.txt"
      exclude=(-E "$names")
    fi
  fi
  log "ctest ($preset)"
  ctest --test-dir "build/$preset" -LE long "${exclude[@]}" --output-on-failure -j "$JOBS" \
    --timeout 900 --no-tests=error </dev/null
}

main_job() {
  install_missing_packages
  local start=$SECONDS
  configure_and_build release emdb emdb-example || die "the Release build failed"
  local bin="$ROOT/build/release/bin" db="$ROOT/build/release/example-db"
  # One line per step; each must succeed.
  step "$bin/emdb-example" "$db"
  step "$bin/emdb" chk "$db"
  step "$bin/emdb" stat -efr -a "$db"
  log "main job done in $(elapsed $((SECONDS - start)))"
}

test_job() {
  install_missing_packages
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  local status=0 start=$SECONDS summary=() preset t0
  # ci: RelWithDebInfo with EMDB_WERROR=ON. asan: EMDB_SANITIZE=address,undefined.
  for preset in ci asan; do
    t0=$SECONDS
    if configure_and_build "$preset" && run_tests "$preset"; then
      summary+=("$preset: passed in $(elapsed $((SECONDS - t0)))")
    else
      status=1
      summary+=("$preset: FAILED after $(elapsed $((SECONDS - t0)))")
    fi
  done
  log "summary ($(elapsed $((SECONDS - start))) in all)"
  printf '  %s\n' "${summary[@]}"
  return $status
}

case "${1:-}" in
  main) main_job ;;
  test) test_job ;;
  *)
    echo "usage: bash cmake/run.sh main|test" >&2
    exit 2
    ;;
esac
