// Package apply executes a plan against a cloud.Client: steps in dependency
// order with bounded parallelism and a shared rate limit, each retried with
// its own client token until the object settles (contracts C5, C8, C12).
// Call, in call.go, is the one place where a step's typed op becomes an API
// call; bench and soak use it too.
//
// It emits typed events and returns a Result even on failure; it never
// prints, takes its time from an injected Clock, and never decides what to
// change: that is internal/plan. It must not import internal/emulator or
// internal/cloud/aliyun.
package apply
