package engine

import "github.com/tmsync/tmsync/internal/apply"

// An EventType says what happened to a stack.
type EventType string

// The event types, in the order a stack's apply emits them.
const (
	// Planned: the stack was planned, or failed to be (Run.Err).
	Planned EventType = "planned"
	// ApplyStarted: the stack's plan is being applied.
	ApplyStarted EventType = "apply_started"
	// StepEvent: something happened to a step; Event.Step says what.
	StepEvent EventType = "step"
	// DryRunChecked: a dry run ended; Run.Result says what was checked.
	DryRunChecked EventType = "dry_run_checked"
	// Converged: after the apply, live state equals the spec.
	Converged EventType = "converged"
	// NotConverged: after the apply, live state still differs from the
	// spec, or could not be read to tell.
	NotConverged EventType = "not_converged"
	// StackDone is the last event of a stack's apply: Run.Result,
	// Run.Converged and Run.Err are final.
	StackDone EventType = "stack_done"
)

// An Event is one thing that happened in a run.
type Event struct {
	Type EventType
	Run  *Run
	// Step is apply's event, for StepEvent only.
	Step apply.Event
}

// An Observer receives events. It is called one event at a time, from
// several goroutines.
type Observer func(Event)
