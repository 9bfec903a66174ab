package aliyun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/alibabacloud-go/tea/tea"

	"github.com/tmsync/tmsync/internal/cloud"
)

// errEmptyAnswer marks a successful status whose body was missing: the SDK
// returns no error and a nil body then, and callers would nil-deref.
var errEmptyAnswer = errors.New("the API answered with an empty body")

// malformed reports an answer that decoded but lacks what the call needs.
func malformed(action, format string, args ...any) error {
	return &cloud.APIError{Kind: cloud.KindServer, Message: action + ": " + fmt.Sprintf(format, args...)}
}

// classify turns whatever the SDK returned into a *cloud.APIError. rec is
// what the transport saw of the request, if it was sent at all.
func classify(action string, err error, rec *record, timeout time.Duration) error {
	var ae *cloud.APIError
	if errors.As(err, &ae) {
		return err
	}
	var se *tea.SDKError
	if errors.As(err, &se) {
		return fromSDKError(se, rec)
	}
	var ce *credentialFetchError
	if errors.As(err, &ce) {
		// Not ce itself: credentials-go errors may quote config files.
		safe := errors.New(redact(ce.Err))
		return &cloud.APIError{Kind: cloud.KindAuth, Message: action + ": credentials: " + safe.Error(), Err: safe}
	}
	if rec.transportErr != nil {
		return fromTransportError(action, rec.transportErr, timeout)
	}
	if rec.status != 0 {
		// The API answered, but not with anything the SDK could read: a proxy's
		// HTML page, a truncated body, an empty 200.
		kind := cloud.Classify("", rec.status)
		if kind == cloud.KindUnknown || kind == cloud.KindInvalid && rec.status == 404 {
			// A 2xx the SDK cannot read, or a 404 page from something that
			// is not the API (the API's own 404s are JSON), are the server's
			// fault, not the request's.
			kind = cloud.KindServer
		}
		msg := err.Error()
		if errors.Is(err, errEmptyAnswer) {
			msg = errEmptyAnswer.Error()
		} else {
			msg = "unreadable answer: " + msg
		}
		return &cloud.APIError{
			Kind:       kind,
			Message:    fmt.Sprintf("%s: %s (HTTP %d)", action, msg, rec.status),
			RequestID:  rec.requestID,
			HTTPStatus: rec.status,
			Err:        err,
		}
	}
	if ctxErr := contextError(err); ctxErr != nil {
		return fromTransportError(action, err, timeout)
	}
	// Never sent: the SDK's own parameter validation refused the request.
	return &cloud.APIError{Kind: cloud.KindInvalid, Message: action + ": " + err.Error(), Err: err}
}

// fromTransportError classifies a request that got no answer: the server
// may or may not have acted on it, so it is retryable with the same token.
func fromTransportError(action string, err error, timeout time.Duration) *cloud.APIError {
	msg := err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		msg = fmt.Sprintf("no answer within %s", timeout)
	case errors.Is(err, context.Canceled):
		msg = "cancelled"
	default:
		// url.Error repeats the whole request URL; the cause is enough.
		var ue *url.Error
		if errors.As(err, &ue) {
			msg = ue.Err.Error()
		}
	}
	return &cloud.APIError{Kind: cloud.KindServer, Message: action + ": " + msg, Err: err}
}

func contextError(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return context.Canceled
	}
	return nil
}

// sdkWrapper matches the SDK's decoration of the API's message:
// "code: 400, <message> request id: <id>".
var sdkWrapper = regexp.MustCompile(`(?s)^code: \d+, (.*?)(?: request id: (\S*))?$`)

func fromSDKError(se *tea.SDKError, rec *record) *cloud.APIError {
	e := &cloud.APIError{
		Code:       tea.StringValue(se.Code),
		HTTPStatus: tea.IntValue(se.StatusCode),
		Err:        se,
	}
	// Data is the API's error body re-serialised; it holds the message and
	// request ID without the SDK's decoration.
	if data := tea.StringValue(se.Data); data != "" {
		var body map[string]any
		if json.Unmarshal([]byte(data), &body) == nil {
			e.Message = firstString(body, "Message", "message")
			e.RequestID = firstString(body, "RequestId", "requestId")
			if e.Code == "" {
				e.Code = firstString(body, "Code", "code")
			}
		}
	}
	if e.Message == "" || e.RequestID == "" {
		msg := tea.StringValue(se.Message)
		if m := sdkWrapper.FindStringSubmatch(msg); m != nil {
			if e.Message == "" {
				e.Message = m[1]
			}
			if e.RequestID == "" {
				e.RequestID = m[2]
			}
		} else if e.Message == "" {
			e.Message = msg
		}
	}
	if e.HTTPStatus == 0 && rec != nil {
		e.HTTPStatus = rec.status
	}
	if e.RequestID == "" && rec != nil {
		e.RequestID = rec.requestID
	}
	e.Message = strings.TrimSpace(e.Message)
	e.Kind = cloud.Classify(e.Code, e.HTTPStatus)
	if e.Kind == cloud.KindUnknown && e.HTTPStatus == 0 && e.Code == "InvalidCredentials" {
		// The SDK's own refusal to sign without credentials.
		e.Kind = cloud.KindAuth
	}
	return e
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// A credentialFetchError is a failure to get credentials at request time
// (an expired profile, an STS refresh that failed).
type credentialFetchError struct{ Err error }

func (e *credentialFetchError) Error() string { return "credentials: " + redact(e.Err) }
func (e *credentialFetchError) Unwrap() error { return e.Err }
