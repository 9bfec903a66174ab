// Package cli wires tmsync's commands: flags become typed options, options
// are validated, then the command runs and its outcome maps to an exit code
// through the one table in exit.go.
//
// It must not call os.Exit (main does) and holds no API or diff logic of its
// own: that lives in internal/spec, internal/plan, internal/apply and
// internal/cloud.
package cli
