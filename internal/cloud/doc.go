// Package cloud defines the domain of tmsync: Traffic Mirror filters, rules and
// sessions as plain Go values, their canonical forms (contract C4), the typed
// errors every client returns, and the Client interface the planner and the
// applier talk to.
//
// It must not import the Alibaba Cloud SDK or perform any I/O: the only
// implementation that talks to the wire lives in internal/cloud/aliyun.
package cloud
