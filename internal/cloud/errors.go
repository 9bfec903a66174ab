package cloud

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
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
