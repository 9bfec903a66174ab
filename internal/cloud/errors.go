package cloud

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"syscall"
)

// An ErrorKind classifies API errors by what a caller should do about them.
type ErrorKind int

// The kinds of API errors.
const (
	KindUnknown         ErrorKind = iota
	KindNotFound                  // the object does not exist
	KindBusy                      // the object is in a transitional state; retry
	KindConflict                  // another operation on the object is under way; retry
	KindTokenProcessing           // the same token is still being processed; retry
	KindThrottled                 // rate limited; retry with backoff
	KindServer                    // 5xx, SystemBusy, network; retry
	KindInvalid                   // the request is wrong; do not retry
	KindQuota                     // a limit was hit; do not retry
	KindAuth                      // credentials or signature refused
	KindDryRunPassed              // DryRun=true and every check passed
	KindMismatch                  // the token was used with other parameters
	KindAlreadyOpen               // the service is already open
	KindInUse                     // a dependent object still uses it
	KindTruncated                 // the API answered part of what matches; narrow the query
)

var kindNames = map[ErrorKind]string{
	KindUnknown: "unknown", KindNotFound: "not-found", KindBusy: "busy", KindConflict: "conflict",
	KindTokenProcessing: "token-processing", KindThrottled: "throttled", KindServer: "server",
	KindInvalid: "invalid", KindQuota: "quota", KindAuth: "auth", KindDryRunPassed: "dry-run-passed",
	KindMismatch: "mismatch", KindAlreadyOpen: "already-open", KindInUse: "in-use", KindTruncated: "truncated",
}

func (k ErrorKind) String() string { return kindNames[k] }

// Retryable reports whether an error of this kind may succeed when the same
// request is sent again with the same token.
func (k ErrorKind) Retryable() bool {
	switch k {
	case KindBusy, KindConflict, KindTokenProcessing, KindThrottled, KindServer:
		return true
	}
	return false
}

// An APIError is an error answered by the API (or the transport under it).
// It keeps the API's code and request ID for the user.
type APIError struct {
	Kind       ErrorKind
	Code       string
	Message    string
	RequestID  string
	HTTPStatus int
	Err        error // the underlying transport error, if any
}

func (e *APIError) Error() string {
	var b strings.Builder
	if e.Code != "" {
		b.WriteString(e.Code)
	} else {
		b.WriteString(e.Kind.String())
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	return b.String()
}

func (e *APIError) Unwrap() error { return e.Err }

// KindOf returns the kind of err: KindUnknown when err is not an *APIError.
func KindOf(err error) ErrorKind {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Kind
	}
	return KindUnknown
}

// IsKind reports whether err is an *APIError of kind k.
func IsKind(err error, k ErrorKind) bool { return err != nil && KindOf(err) == k }

// Classify maps an API error code and HTTP status to a kind. The codes are
// those of the reference (§5); prefixes cover the families.
func Classify(code string, status int) ErrorKind {
	switch {
	case code == "DryRunOperation":
		return KindDryRunPassed
	case code == "IdempotentParameterMismatch":
		return KindMismatch
	case code == "ORDER.OPEND":
		return KindAlreadyOpen
	case strings.HasPrefix(code, "ResourceNotFound"), strings.HasPrefix(code, "InvalidApi.NotFound"):
		if strings.HasPrefix(code, "InvalidApi") {
			return KindInvalid
		}
		return KindNotFound
	case code == "IncorrectStatus.NetworkInterface":
		// An ENI being attached, detached, created or deleted is not
		// tmsync's to wait for: the source or target is refused.
		return KindInvalid
	case strings.HasPrefix(code, "IncorrectStatus"):
		return KindBusy
	case code == "OperationConflict":
		return KindConflict
	case strings.Contains(code, "LastTokenProcessing"):
		return KindTokenProcessing
	case strings.HasPrefix(code, "Throttling"):
		return KindThrottled
	case code == "SystemBusy", code == "ServiceUnavailable", code == "InternalError":
		return KindServer
	case strings.HasPrefix(code, "QuotaExceeded"):
		return KindQuota
	case strings.HasPrefix(code, "DependencyViolation"):
		return KindInUse
	case strings.HasPrefix(code, "InvalidAccessKeyId"), strings.HasPrefix(code, "SignatureDoesNotMatch"),
		strings.HasPrefix(code, "InvalidTimeStamp"), code == "SignatureNonceUsed", code == "IncompleteSignature",
		strings.HasPrefix(code, "Forbidden"), strings.HasPrefix(code, "InvalidSecurityToken"):
		return KindAuth
	case status >= 500:
		return KindServer
	case status >= 400:
		return KindInvalid
	}
	return KindUnknown
}

var eniIDPattern = regexp.MustCompile(`\beni-[a-z0-9]+\b`)

// RefusedENI returns the ENI of among that err says the API refuses as a
// mirror source or target (it does not exist, or its status does not
// allow it), and whether it names one.
func RefusedENI(err error, among []string) (string, bool) {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "IncorrectStatus.NetworkInterface" && ae.Code != "ResourceNotFound.NetworkInterface" {
		return "", false
	}
	for _, id := range eniIDPattern.FindAllString(ae.Message, -1) {
		for _, x := range among {
			if x == id {
				return id, true
			}
		}
	}
	return "", false
}

// A NetFailure says why the API's endpoint could not be reached at all:
// the request never got to a server, so sending it again soon only helps
// when the network comes back.
type NetFailure int

// The ways an endpoint is unreachable; NotUnreachable is none of them.
const (
	NotUnreachable NetFailure = iota
	Refused                   // the host refused the connection: nothing listens at that port
	NoHost                    // the host name does not resolve
	NoDNS                     // the name could not be looked up: no DNS server answered
	NoRoute                   // no route to the host or its network
	NoConnect                 // any other failure to connect (a dial that timed out)
)

var netFailureWords = map[NetFailure]string{
	Refused:   "connection refused",
	NoHost:    "host name not found",
	NoDNS:     "DNS lookup failed",
	NoRoute:   "no route to the host",
	NoConnect: "cannot connect",
}

func (f NetFailure) String() string { return netFailureWords[f] }

// Unreachable says whether err (an API call's error, or what it wraps)
// failed before reaching any server, and why. It inspects the network
// errors the transport wraps, whatever client made the call.
func Unreachable(err error) NetFailure {
	if err == nil {
		return NotUnreachable
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		if dns.IsNotFound {
			return NoHost
		}
		return NoDNS
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return NoRoute
	}
	var op *net.OpError
	if errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect") {
		return NoConnect
	}
	return NotUnreachable
}

// An UnreachableError says the API at Endpoint could not be reached at all.
type UnreachableError struct {
	Endpoint string
	Failure  NetFailure
	Err      error // the last attempt's error
}

func (e *UnreachableError) Error() string {
	detail := e.Err.Error()
	var ae *APIError
	if errors.As(e.Err, &ae) && ae.Code == "" && ae.Message != "" {
		// The API's code is none and its kind says nothing more than
		// Failure: the call and the transport's words are what is left.
		detail = ae.Message
	}
	return fmt.Sprintf("cannot reach the API at %s (%s): %s", e.Endpoint, e.Failure, detail)
}

func (e *UnreachableError) Unwrap() error { return e.Err }
