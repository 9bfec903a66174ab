package cli

import (
	"errors"
	"fmt"
	"io"
)

// Exit codes (contract C11).
const (
	ExitOK      = 0 // success, or no changes
	ExitError   = 1 // any error: invalid spec, refused confirmation, stale plan, failed step
	ExitChanges = 2 // changes or drift present, only with --detailed-exitcode
)

// errChanges is returned by commands that found changes under
// --detailed-exitcode; it is not printed.
var errChanges = errors.New("changes present")

// A silentError has already been reported to the user; it only carries the
// exit code.
type silentError struct{ err error }

func (e silentError) Error() string { return e.err.Error() }
func (e silentError) Unwrap() error { return e.err }

// A hintError carries a hint line printed after the error.
type hintError struct {
	err  error
	hint string
}

func (e hintError) Error() string { return e.err.Error() }
func (e hintError) Unwrap() error { return e.err }

func withHint(err error, format string, args ...any) error {
	return hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

// exitCode maps a command's error to the exit code of C11, printing it
// unless it was reported already.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, errChanges) {
		return ExitChanges
	}
	var se silentError
	if errors.As(err, &se) {
		return ExitError
	}
	fmt.Fprintf(stderr, "tmsync: error: %v\n", err)
	var he hintError
	if errors.As(err, &he) && he.hint != "" {
		fmt.Fprintf(stderr, "hint: %s\n", he.hint)
	}
	var ue usageError
	if errors.As(err, &ue) {
		ue.report(stderr)
	}
	return ExitError
}

// aggregate combines the exit codes of several stacks: any 1 gives 1, else
// any 2 gives 2, else 0.
func aggregate(codes ...int) int {
	out := ExitOK
	for _, c := range codes {
		switch {
		case c == ExitError:
			return ExitError
		case c == ExitChanges:
			out = ExitChanges
		}
	}
	return out
}
