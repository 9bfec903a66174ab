// Package emulator is an in-process HTTP emulator of the Alibaba Cloud VPC
// 2016-04-28 Traffic Mirror API: filters, filter rules, sessions, the
// per-region service switch, and the tag and resource-group calls for
// filters and sessions. On the same port it serves ECS 2014-05-26
// DescribeNetworkInterfaces from its inventory of ENIs, which the admin
// endpoints change at runtime as a fleet scales; the Version parameter says
// which API a request is for.
//
// It speaks the service's own wire protocol (POST /, RPC parameters in the
// query string or a form body, ACS3-HMAC-SHA256 and v1 HMAC-SHA1
// signatures, the service's JSON answers and error envelope), so the official
// SDK, the aliyun CLI and Terraform's provider talk to it unmodified. It
// models what clients must cope with: the asynchronous lifecycle (kept as
// deadlines, not timers, so it survives restarts), transitional-state and
// conflict refusals, ClientToken replay, DryRun, pagination, the limits of
// the reference, quotas, and injected faults. Admin endpoints under
// /_emulator/ expose counters, a write log, fault and hold controls.
//
// It must not import internal/cloud/aliyun or any SDK: the tests reach it
// through the SDK over real HTTP, and a shared code path would hide wire
// mistakes on both sides. It never calls the real cloud, never prints
// secrets, and holds no tmsync planning logic: it behaves like the service,
// not like tmsync.
package emulator
