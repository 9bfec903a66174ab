// Package export turns live Traffic Mirror state into a tmsync spec, so that
// an account set up by hand can be adopted (contract C3): every object gets
// a key derived from its name, an explicit name and its id, and its rules
// and attributes in the shortest form that canonicalises to what is live
// (contract C4). Planning the result with --adopt changes only tags.
//
// It is pure: it reads a cloud.Snapshot and returns a value and its YAML. It
// performs no I/O, talks to no API and never prints.
package export
