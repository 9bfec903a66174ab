// Package plan computes what must change to make live Traffic Mirror state
// equal a spec: Compute(desired, live, opts) returns a Plan of reviewable
// changes (one per object) and ordered API steps (one per call) with
// dependencies and deterministic client tokens (contracts C3-C11, C13).
//
// It is pure: no context, no client, no clock, no printing. Rendering lives
// in internal/plan/views and execution in internal/apply.
package plan
