// Package workload builds the spec files, emulators and tmsync processes that
// make bench and make soak measure: a small model of a spec that writes
// itself as YAML, random stacks of a given size, and a runner that starts
// the tmsync binary (or a test binary standing in for it) against an
// emulator on loopback and reports its exit code, wall time and peak RSS.
//
// It is test tooling: it never talks to a real cloud endpoint (every client
// and process it makes points at 127.0.0.1), never prints the made-up access
// keys it hands to the processes, and holds no planning logic of its own.
package workload
