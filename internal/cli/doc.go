// Package cli wires tmsync's commands: flags become typed options, options
// are validated, then the command runs and its outcome maps to an exit code
// through the one table in exit.go. Main builds the command tree afresh on
// every call, in one function.
//
// It must not call os.Exit (main does) and holds no API or diff logic of its
// own: that lives in internal/spec, internal/plan, internal/apply and
// internal/cloud, and what rules mirror (validate's warnings, explain) in
// internal/traffic. A run over stacks (reading live state, locks, the token
// journal, planning, applying, the convergence check) belongs to
// internal/engine: cli renders its events and results, asks for
// confirmation and decides exit codes.
package cli
