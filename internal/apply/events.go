package apply

import (
	"fmt"
	"time"

	"github.com/tmsync/tmsync/internal/plan"
)

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

// A Notice says why a step is sent again. It is tmsync's own finding, beside
// the API's code (if any) in Event.Code.
type Notice int

// The notices, a closed set.
const (
	NoNotice Notice = iota
	// Throttled, Busy, ServerError and NetworkError send the same call
	// again with the same token.
	Throttled    // the API asked to slow down
	Busy         // the object or the token is busy with another operation
	ServerError  // the API failed (5xx, SystemBusy)
	NetworkError // no answer from the API
	// TokenMismatch, StaleToken and SourceGap change what is sent.
	TokenMismatch // the token was used with other values: the next generation
	StaleToken    // a replayed create named an object List never shows: the next generation
	SourceGap     // the source limit is lower than planned: gone sources are removed first
	Replayed      // a write settled without its values: the API replayed an earlier one; the next generation
	FoundExisting // a create's object was made by another run: the step takes it
	SourceRefused // the API refuses a source: the batch goes without it
)

var noticeNames = [...]string{
	NoNotice: "", Throttled: "throttled", Busy: "busy", ServerError: "server-error", NetworkError: "network-error",
	TokenMismatch: "token-mismatch", StaleToken: "stale-token", SourceGap: "source-gap", Replayed: "replayed", FoundExisting: "found-existing", SourceRefused: "source-refused",
}

// ChangesRequest reports whether the step is sent again with something
// else than before (the next token, a source removed first), as opposed to
// the same call retried.
func (n Notice) ChangesRequest() bool {
	return n == TokenMismatch || n == StaleToken || n == SourceGap || n == Replayed || n == FoundExisting || n == SourceRefused
}

func (n Notice) String() string {
	if n < 0 || int(n) >= len(noticeNames) {
		return fmt.Sprintf("notice(%d)", int(n))
	}
	return noticeNames[n]
}

// MarshalText writes the notice's name.
func (n Notice) MarshalText() ([]byte, error) {
	if n < 0 || int(n) >= len(noticeNames) {
		return nil, fmt.Errorf("unknown notice %d", int(n))
	}
	return []byte(noticeNames[n]), nil
}

// UnmarshalText reads a notice's name.
func (n *Notice) UnmarshalText(b []byte) error {
	for i, name := range noticeNames {
		if name == string(b) {
			*n = Notice(i)
			return nil
		}
	}
	return fmt.Errorf("unknown notice %q", b)
}

// An Event is one thing that happened while applying.
type Event struct {
	Type     EventType     `json:"type"`
	Time     time.Time     `json:"time"`
	Step     plan.StepID   `json:"step"`
	Address  plan.Addr     `json:"address"`
	Op       plan.OpKind   `json:"action"`
	ObjectID string        `json:"object_id,omitempty"`
	Elapsed  time.Duration `json:"elapsed_ns,omitempty"`
	Attempt  int           `json:"attempt,omitempty"`
	// Notice is set on StepRetrying: why the step is sent again.
	Notice Notice `json:"notice,omitempty"`
	// Code is the API's error code, and nothing else.
	Code      string `json:"code,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	Message   string `json:"message,omitempty"`
}

// An Observer receives events; it is called from several goroutines, one
// event at a time.
type Observer func(Event)
