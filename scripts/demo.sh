#!/usr/bin/env bash
# The README's main command: validate examples/, then plan and apply them
# against the emulator that tmsync runs in-process (--endpoint local), and
# show that the next plan is empty. State lives in .tmsync/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
tmsync=./bin/tmsync
state=${TMSYNC_DEMO_STATE:-.tmsync}

step() { printf '\n==> %s\n' "$*"; }

step "tmsync validate -f examples/"
$tmsync validate -f examples/

step "tmsync plan -f examples/ --endpoint local"
$tmsync plan -f examples/ --endpoint local --state-dir "$state"

step "tmsync apply -f examples/ --endpoint local --auto-approve"
$tmsync apply -f examples/ --endpoint local --state-dir "$state" --auto-approve

step "tmsync plan -f examples/ --endpoint local --detailed-exitcode   (expect: No changes)"
$tmsync plan -f examples/ --endpoint local --state-dir "$state" --detailed-exitcode

printf '\nDone. The emulator state is in %s/; run `make demo` again to see a no-op apply,\n' "$state"
printf 'or `%s destroy -f examples/ --endpoint local --auto-approve` to remove it all.\n' "$tmsync"
