package plan

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"io"
	"reflect"
	"strings"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// digest returns the lowercase base32 SHA-256 of the JSON form of parts.
func digest(parts ...any) string {
	h := sha256.New()
	// An Encoder writes what json.Marshal returns, and a newline, straight
	// into the hash: no copy of a snapshot's megabytes of JSON per plan.
	enc := json.NewEncoder(noNewline{h})
	for _, p := range parts {
		if err := enc.Encode(p); err != nil {
			// Every value hashed here is plain data built by this package.
			panic("plan: hash: " + err.Error())
		}
		h.Write([]byte{0})
	}
	return strings.ToLower(b32.EncodeToString(h.Sum(nil)))
}

// noNewline drops the newline json.Encoder ends each value with (it writes
// a value in one Write), so that digests stay those of json.Marshal.
type noNewline struct{ w io.Writer }

func (n noNewline) Write(b []byte) (int, error) {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		if _, err := n.w.Write(b[:len(b)-1]); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return n.w.Write(b)
}

// appliedHash is the short hash stored in the tmsync:applied tag: what
// tmsync last wrote to an object (contract C3).
func appliedHash(attrs map[string]any) string {
	return digest(attrs)[:12]
}

// appliedValue is the tmsync:applied tag an object gets when tmsync writes
// it: the hash of what it wrote and a link to the tag value it replaces.
// The link makes every write leave a view of the region that was never
// seen before, so a plan never repeats an earlier plan's ID, and so its
// tokens, when live state comes back to what it once was (an update
// reverted and made again, a drift corrected twice).
func appliedValue(hash, prev string) string {
	return hash + "." + digest(prev, hash)[:6]
}

// hashLike returns the applied hash of attrs, or known, the hash of same,
// when the two are deeply equal: equal values encode to equal JSON. Every
// object of a converged stack hashes like its spec, and hashing is most of
// what a no-op plan costs (make bench).
func hashLike(attrs, same map[string]any, known string) string {
	if reflect.DeepEqual(attrs, same) {
		return known
	}
	return appliedHash(attrs)
}

// A tokenInput is everything a step's client token is made of (contract
// C5), and nothing else: no plan ID, snapshot, time or machine. Two runs
// that want the same write send the same token, whatever else each saw, so
// that the API makes one object; a write to an object whose chain moved on
// since (basis) never reuses the token of an earlier one.
type tokenInput struct {
	Account string
	Stack   string
	Address Addr
	Op      OpKind
	// Params is the op with references to other objects written as
	// addresses: see tokenParams.
	Params Op
	// Basis is the tmsync:applied value the written object carries now,
	// or, for a create that replaces an object, "replaces " and its ID.
	Basis string
}

// token is the client token of a step: "tm1-" and the base32 SHA-256 of its
// tokenInput, 40 characters in all.
func token(in tokenInput) string {
	return ("tm1-" + digest(in))[:40]
}

// NextToken returns the token of the next generation of a step, for a create
// whose replayed answer names an object that no longer exists (C5).
func NextToken(tok string) string {
	return ("tm1-" + digest("next", tok))[:40]
}

// ShrunkToken returns the token of a batch sent again without the sources
// the API refused (C5: a batch that must shrink is a new request with its
// own token), the same on every runner.
func ShrunkToken(tok string, without []string) string {
	return ("tm1-" + digest("shrunk", tok, without))[:40]
}
