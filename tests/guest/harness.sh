# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the host sides of the guest tests.  Sourced, not run.

# igb_guest_boot NAME LOG RESULTS RUN-GUEST-ARGS...: boot one guest with
# run-guest.sh; show its IGBTEST lines as they come (or everything with
# VERBOSE=1), keep them in RESULTS, and add the check NAME.boot: the guest
# ran its test to the end and powered off.  Returns 0.
igb_guest_boot() {
    local name=$1 log=$2 results=$3 t0=$SECONDS rc
    shift 3
    log "boot '$name' (log $log)"
    set +e
    "$(dirname "${BASH_SOURCE[0]}")/run-guest.sh" "$@" 2>&1 |
        stdbuf -oL tr -d '\r' | tee "$log" |
        if [ "${VERBOSE:-0}" = 1 ]; then cat; else
            grep --line-buffered -oE 'IGBTEST (PASS|FAIL) .*'; fi
    rc=${PIPESTATUS[0]}
    set -e
    grep -oE 'IGBTEST (PASS|FAIL) .*' "$log" >> "$results" || true
    if [ "$rc" = 0 ] && grep -q '^IGBTEST DONE' "$log"; then
        echo "IGBTEST PASS $name.boot $((SECONDS - t0))s" | tee -a "$results"
    else
        echo "IGBTEST FAIL $name.boot rc=$rc after $((SECONDS - t0))s$(
              grep -q '^IGBTEST DONE' "$log" || echo ', test did not finish')" |
            tee -a "$results"
        tail -n 25 "$log" | sed -e 's/^/    | /' -e '$a\'  # ends the last line
    fi
}

# igb_tally RESULTS CHECK...: every CHECK (full name, e.g. pf.link) must
# have an "IGBTEST PASS" line in RESULTS and none may have failed; a
# missing check and a failure outside the list both count as failures.
# Prints "N passed, M failed"; returns non-zero if anything failed.
igb_tally() {
    local results=$1 c npass=0 nfail=0
    shift
    for c in "$@"; do
        if grep -q "^IGBTEST FAIL $c\( \|$\)" "$results"; then
            nfail=$((nfail + 1))
        elif grep -q "^IGBTEST PASS $c\( \|$\)" "$results"; then
            npass=$((npass + 1))
        else
            echo "IGBTEST FAIL $c missing"; nfail=$((nfail + 1))
        fi
    done
    while read -r _ _ c _; do
        case " $* " in
        *" $c "*) ;;
        *) echo "unexpected failure: $c"; nfail=$((nfail + 1)) ;;
        esac
    done < <(grep '^IGBTEST FAIL' "$results" || true)
    echo "$npass passed, $nfail failed"
    [ "$nfail" = 0 ]
}
