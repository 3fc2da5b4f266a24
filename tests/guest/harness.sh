# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the host sides of the guest tests.  Sourced, not run.

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
