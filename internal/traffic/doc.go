// Package traffic says what a Traffic Mirror filter captures: the
// semantics of its rules, the rules that can never decide a packet, and
// the packets a plan starts and stops mirroring.
//
// A direction of a filter is an ordered list of rules, lowest priority
// number first. A packet is decided by the first rule that matches its
// IP version, protocol, source and destination address and, for TCP and
// UDP, source and destination port; accept mirrors it, drop does not, and
// a packet no rule matches is mirrored as UnmatchedMirrored says (not).
// Rules are read in canonical form (contract C4): ports are ignored for
// ICMP and ALL, IPv4 and IPv6 never meet, and ALL matches every protocol.
//
// Regions of the packet space are Sets: unions of disjoint boxes, each one
// IP version, one protocol class and an interval of each address and port.
// Set algebra is exact, so the packets a change adds or drops are computed,
// not sampled, then merged and printed as CIDRs and port ranges.
//
// ForPlan works out what a plan changes in mirrored traffic from the inputs
// plan.Compute took and the plan it returned; it runs beside Compute, never
// inside it. Check turns rules that do nothing into spec warnings.
//
// It is pure: no I/O, no clock, no client. It must not import
// internal/apply, internal/engine, internal/emulator or
// internal/cloud/aliyun.
package traffic
