// Package apply executes a plan against a cloud.Client: steps in dependency
// order with bounded parallelism and a shared rate limit, each retried with
// its own client token until the object settles (contracts C5, C8, C12).
//
// It emits typed events and returns a Result even on failure; it never
// prints, and it never decides what to change: that is internal/plan. It
// reads the time and waits only through the Clock it is given.
package apply
