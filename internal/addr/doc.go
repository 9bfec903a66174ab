// Package addr is the address of a Traffic Mirror object as tmsync names it
// (contract C5): filter.<key>, filter.<key>.<ingress|egress>[priority=<p>],
// session.<key>, service.<region>, and stack.<name> in problems. Addr.String
// and Parse are each other's inverse; nothing else in tmsync builds or
// parses an address from a string.
//
// It imports nothing of tmsync, so that the spec loader and the planner
// share it.
package addr
