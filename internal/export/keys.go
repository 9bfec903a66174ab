package export

import (
	"regexp"
	"strconv"
	"strings"
)

// MaxKeyLen is the longest key the spec accepts (contract C1).
const MaxKeyLen = 63

var keyPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidKey reports whether k matches the key grammar of contract C1.
func ValidKey(k string) bool { return keyPattern.MatchString(k) }

// KeyFromName returns the key a name becomes: ASCII letters lower-cased,
// with a '-' where a lower-case letter or digit meets an upper-case one
// (webToIDS -> web-to-ids), digits kept, and every other run of characters
// (spaces, punctuation, non-ASCII text) one '-', trimmed at both ends and cut
// to MaxKeyLen. It returns "" when nothing is left: an empty name, or one
// with no ASCII letter or digit.
func KeyFromName(name string) string {
	var b strings.Builder
	pendingDash, prevLowerOrDigit := false, false
	for _, r := range name {
		lower, upper, digit := r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9'
		if !lower && !upper && !digit {
			pendingDash, prevLowerOrDigit = b.Len() > 0, false
			continue
		}
		if upper && prevLowerOrDigit {
			pendingDash = true
		}
		if pendingDash {
			b.WriteByte('-')
			pendingDash = false
		}
		if upper {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
		prevLowerOrDigit = lower || digit
	}
	return trimKey(b.String(), MaxKeyLen)
}

// trimKey cuts k to n bytes and drops dashes left at its end.
func trimKey(k string, n int) string {
	if len(k) > n {
		k = k[:n]
	}
	return strings.Trim(k, "-")
}

// fallbackKey is the key of an object whose name yields none: its kind and
// the part of its ID after the prefix, e.g. filter-bp1abc...
func fallbackKey(kind, id string) string {
	_, rest, ok := strings.Cut(id, "-")
	if !ok {
		rest = id
	}
	k := KeyFromName(kind + "-" + rest)
	if !ValidKey(k) {
		return kind
	}
	return k
}

// A keyRequest asks for a key for one object; preferred is used as it is
// when free (the key an owned object already carries).
type keyRequest struct {
	id        string
	name      string
	preferred string
}

// assignKeys gives each request a distinct key. It runs in two passes, so
// that a name that is itself a suffixed form ("web-2") keeps its key and
// only true duplicates get suffixes: first every object whose key is free
// (preferred keys first, then by ID), then the rest with "-2", "-3", ...
// Requests are handled in ID order, so the result does not depend on the
// order of the snapshot.
func assignKeys(kind string, reqs []keyRequest) map[string]string {
	out := map[string]string{}
	taken := map[string]bool{}
	base := map[string]string{}
	var rest []keyRequest
	for _, pass := range []bool{true, false} {
		for _, r := range reqs {
			if (r.preferred != "") != pass {
				continue
			}
			k := r.preferred
			if k == "" {
				if k = KeyFromName(r.name); k == "" {
					k = fallbackKey(kind, r.id)
				}
			}
			base[r.id] = k
			if taken[k] {
				rest = append(rest, r)
				continue
			}
			taken[k] = true
			out[r.id] = k
		}
	}
	for _, r := range rest {
		b := base[r.id]
		for n := 2; ; n++ {
			suffix := "-" + strconv.Itoa(n)
			k := trimKey(b, MaxKeyLen-len(suffix)) + suffix
			if !taken[k] {
				taken[k] = true
				out[r.id] = k
				break
			}
		}
	}
	return out
}
