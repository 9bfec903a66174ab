// Package views renders plans for people and programs: Text for a terminal,
// JSON for tools, Markdown for a pull-request comment.
//
// All three are rendered from one document, the plan's own (plan.Plan, whose
// JSON is what JSON writes and what a saved plan carries), so they cannot
// disagree, and a plan read back from a saved plan file renders exactly as it
// did when it was computed.
//
// Beside each object's fields, the text and Markdown views show what the
// plan changes in mirrored traffic (plan.Plan.Traffic) as TrafficLines says:
// the packets a filter direction starts and stops mirroring, at most
// MaxTrafficLines lines each, and session changes that stop or cut capture.
//
// It performs no API calls and no I/O other than writing to the io.Writer it
// is given; it never decides on its own whether to use colour (see
// ColorEnabled).
package views
