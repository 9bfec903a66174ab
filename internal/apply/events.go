package apply

import "time"

// An EventType says what happened to a step.
type EventType string

// The event types.
const (
	StepStarted  EventType = "step_started"
	StepWaiting  EventType = "step_waiting"
	StepRetrying EventType = "step_retrying"
	StepFinished EventType = "step_finished"
	StepFailed   EventType = "step_failed"
	StepSkipped  EventType = "step_skipped"
	StepChecked  EventType = "step_checked" // dry run passed
	StepUncheck  EventType = "step_not_checkable"
)

// An Event is one thing that happened while applying.
type Event struct {
	Type      EventType     `json:"type"`
	Time      time.Time     `json:"time"`
	Step      string        `json:"step"`
	Address   string        `json:"address"`
	Op        string        `json:"action"`
	ObjectID  string        `json:"object_id,omitempty"`
	Elapsed   time.Duration `json:"elapsed_ns,omitempty"`
	Attempt   int           `json:"attempt,omitempty"`
	Code      string        `json:"code,omitempty"`
	RequestID string        `json:"request_id,omitempty"`
	Message   string        `json:"message,omitempty"`
}

// An Observer receives events; it is called from several goroutines, one
// event at a time.
type Observer func(Event)
