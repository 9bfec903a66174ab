// Package engine owns one run over many stacks: for each stack it opens a
// client, takes the stack's lock on this machine, reads live state (once
// per account and region, retrying what the API refuses only for now),
// plans with the other stacks of the run in view (and, beside each plan,
// works out what it changes in mirrored traffic), and applies with the
// token journal, under rate limits shared per account and region and with
// a bound on the stacks applied at once; after an apply it reads live
// state again to say whether the stack converged. It also resumes saved
// plans and plans the stacks of a drift report.
//
// It reports through typed events and per-stack results; it never prints,
// never asks for confirmation and never decides exit codes: that is
// internal/cli. It takes its clock and its source of randomness from
// Options and reaches the cloud only through cloud.Client values that
// Options.Open returns, so it must not import internal/emulator or
// internal/cloud/aliyun.
package engine
