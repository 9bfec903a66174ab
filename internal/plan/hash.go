package plan

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"strings"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// digest returns the lowercase base32 SHA-256 of the JSON form of parts.
func digest(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		b, err := json.Marshal(p)
		if err != nil {
			// Every value hashed here is plain data built by this package.
			panic("plan: hash: " + err.Error())
		}
		h.Write(b)
		h.Write([]byte{0})
	}
	return strings.ToLower(b32.EncodeToString(h.Sum(nil)))
}

// appliedHash is the short hash stored in the tmsync:applied tag: what
// tmsync last wrote to an object (contract C3).
func appliedHash(attrs map[string]any) string {
	return digest(attrs)[:12]
}

// token is the client token of a step (contract C5): "tm1-" and the base32
// SHA-256 of the plan ID, the step ID and the step's canonical parameters,
// 40 characters in all.
func token(planID, stepID string, params any) string {
	return ("tm1-" + digest(planID, stepID, params))[:40]
}

// NextToken returns the token of the next generation of a step, for a create
// whose replayed answer names an object that no longer exists (C5).
func NextToken(tok string) string {
	return ("tm1-" + digest("next", tok))[:40]
}
