// Package bench measures tmsync against the emulator with injected latency
// (make bench): API calls by action against the budget of design.md, wall
// time against a lower bound, and the peak RSS of the tmsync process, for
// a no-op plan, a converge from empty and a converge from 30 % drift, each
// beside a per-resource baseline that uses the same client, poller, limits
// and parallelism but makes the calls a per-resource tool makes. Beside
// them it times whole tmsync validate processes on 10,000 rules and reads
// the emulator's requests a second (speed.go).
//
// The tmsync side runs the real binary as a subprocess; the baseline runs
// in-process through apply.Run with plans derived from tmsync's own diff,
// so that only the calls differ. It talks to 127.0.0.1 only and prints no
// secrets.
package bench
