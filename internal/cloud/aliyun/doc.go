// Package aliyun implements cloud.Client over the official Alibaba Cloud Go
// SDK (github.com/alibabacloud-go/vpc-20160428/v6) and resolves credentials
// with github.com/aliyun/credentials-go (contract C2). It implements
// cloud.ENIReader over the official ECS SDK
// (github.com/alibabacloud-go/ecs-20140526/v7), with the same credentials,
// timeout and error classification, for source selectors.
//
// It is the only package of tmsync that imports the SDK or credentials-go:
// everything above it sees plain Go values and *cloud.APIError. It pages
// every List and Describe call to the end, sends ID filters in batches of
// 100, refuses an ENI query by tag that the API answered in part, splits tag
// calls into the API's 20×20 batches, enforces a request timeout (the SDK has
// none), honours the caller's context, and turns every failure — API error,
// network error, timeout or malformed answer — into a classified
// *cloud.APIError that keeps the API's code and request ID.
//
// The SDK has no context support and its clients are not safe for
// concurrent use, so each call takes an SDK client of its own from a pool and
// runs through an HTTP client of this package that gives the request the
// call's context (the caller's, bounded by the request timeout).
//
// It must not retry, wait for asynchronous states or make up client tokens:
// those are decisions of internal/apply, which knows which step a call
// belongs to. It must never log or put into an error a secret (access key
// secret or security token).
package aliyun
