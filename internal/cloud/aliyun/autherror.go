package aliyun

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tmsync/tmsync/internal/cloud"
)

// An AuthError is a request the API refused for its credentials: it names
// where they came from and the key, shortened, so that the user can tell
// which key to fix. Its Hint says the likely cause. It unwraps to the
// *cloud.APIError, whose code and request ID it keeps.
type AuthError struct {
	Err *cloud.APIError
	// RAMAction is the action the request needed, e.g.
	// vpc:ListTrafficMirrorFilters.
	RAMAction string
	// Source says where the credentials came from (CredentialsInfo.Source)
	// and KeyID is their access key ID, shortened (LTAI…abcd).
	Source, KeyID string
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("%v (access key %s from %s)", e.Err, e.KeyID, e.Source)
}

func (e *AuthError) Unwrap() error { return e.Err }

// Hint says what the API's code most likely means, and what to do.
func (e *AuthError) Hint() string {
	code := e.Err.Code
	switch {
	case code == "SignatureDoesNotMatch":
		return fmt.Sprintf("the secret does not belong to access key %s: set the secret issued with that key in %s (or the key issued with the secret)", e.KeyID, e.Source)
	case code == "InvalidAccessKeyId.NotFound":
		return fmt.Sprintf("access key %s does not exist: it was deleted, mistyped, or belongs to another site (Alibaba Cloud China and International keys differ); create a key in the RAM console and set it in %s", e.KeyID, e.Source)
	case code == "InvalidAccessKeyId.Inactive":
		return fmt.Sprintf("access key %s is disabled: enable it in the RAM console, or set an active key in %s", e.KeyID, e.Source)
	case strings.HasPrefix(code, "InvalidSecurityToken"):
		return fmt.Sprintf("the security token of %s is expired or malformed: get new temporary credentials", e.Source)
	case strings.HasPrefix(code, "InvalidTimeStamp"):
		return "this machine's clock is off: sync it (NTP); tmsync doctor --region REGION measures it"
	case strings.HasPrefix(code, "Forbidden"):
		return fmt.Sprintf("the RAM user or role of access key %s may not call %s: grant it (docs/ram-policies.md lists the actions each command needs)", e.KeyID, e.RAMAction)
	}
	return fmt.Sprintf("check access key %s in %s", e.KeyID, e.Source)
}

// authError wraps err, the classified error of action, in an *AuthError
// when the API refused the credentials; other errors are returned as they
// are.
func (c *Client) authError(service, action string, err error) error {
	var ae *cloud.APIError
	if !errors.As(err, &ae) || ae.Kind != cloud.KindAuth || ae.Code == "" {
		return err
	}
	return &AuthError{Err: ae, RAMAction: service + ":" + action, Source: c.creds.Source, KeyID: c.keyID}
}
