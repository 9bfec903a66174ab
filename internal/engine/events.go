package engine

import (
	"time"

	"github.com/tmsync/tmsync/internal/apply"
)

// An EventType says what happened to a stack.
type EventType string

// The event types, in the order a stack's apply emits them.
const (
	// ReadRetrying: a read of live state before planning failed for now
	// and is sent again; Event.Retry says which attempt failed and why.
	// The stacks of one account and region share one read, reported with
	// the first of them.
	ReadRetrying EventType = "read_retrying"
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
	// Retry is set for ReadRetrying only.
	Retry *Retry
}

// A Retry is a read of live state that failed for now and is sent again.
type Retry struct {
	Region   string
	Endpoint string
	// Attempt is the number of the attempt that failed, from 1.
	Attempt int
	// Elapsed is the time from the start of the first attempt to the
	// failure of this one.
	Elapsed time.Duration
	// Wait is the time until the next attempt.
	Wait time.Duration
	// Err is why the attempt failed.
	Err error
}

// An Observer receives events. It is called one event at a time, from
// several goroutines.
type Observer func(Event)
