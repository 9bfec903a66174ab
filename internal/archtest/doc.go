// Package archtest holds the import rules between the packages of tmsync
// (the data flow of the design: spec → plan → apply → cloud, with the SDK
// behind internal/cloud/aliyun and the emulator standing alone) and checks
// them over an import graph. Its test loads the module's graph with
// `go list -deps -json`, so `make test` fails when a rule is broken.
//
// Nothing in tmsync imports this package. The checker performs no I/O: it
// is given the graph.
package archtest
