// Package plan computes what must change to make live Traffic Mirror state
// equal a spec: Compute(desired, live, opts) returns a Plan of reviewable
// changes (one per object) and ordered API steps (one per call) with
// dependencies and deterministic client tokens (contracts C3-C11, C13).
//
// It owns the plan's vocabulary: Addr (an object's address, with String and
// ParseAddr), StepID, and one Op type per API call (ops.go, the only place
// that knows an op's name, API action and properties). The Plan is also the
// plan document: its JSON is what tmsync plan --format json writes and what
// a saved plan carries. The inputs of the tmsync:applied hash are frozen in
// applied.go.
//
// It is pure: no context, no client, no clock, no printing. It must not
// import internal/apply, internal/emulator or internal/cloud/aliyun;
// rendering lives in internal/views and execution in internal/apply.
package plan
