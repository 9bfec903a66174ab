package aliyun

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// ParseEndpoint splits an endpoint setting into the host the SDK sends to
// (with its port, which becomes part of the signed host header) and the
// protocol, "http" or "https".
//
// The forms are "https://host[:port]", "http://host[:port]" and a bare
// "host[:port]". A bare loopback address ("127.0.0.1:8080", "localhost:8080",
// "[::1]:8080") means plain http, because that is what an emulator on a port
// speaks; any other bare host means https. The empty string is the region's
// Alibaba Cloud endpoint: host "" and https.
//
// User information ("user:password@host") is refused: requests are signed
// with the credentials of the chain, never with a URL's, and a password in a
// flag or an environment variable would end up in logs. Errors never quote
// it: see Shown.
func ParseEndpoint(s string) (host, protocol string, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "https", nil
	}
	shown := Shown(s)
	if strings.Contains(s, "@") {
		return "", "", fmt.Errorf("endpoint %q: user information (user:password@) is not allowed; credentials come from the credentials chain or --profile", shown)
	}
	if scheme, _, ok := strings.Cut(s, "://"); ok {
		u, err := url.Parse(s)
		if err != nil {
			// Not err itself: url.Error quotes the whole URL.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return "", "", fmt.Errorf("endpoint %q: %w", shown, err)
		}
		scheme = strings.ToLower(scheme)
		if scheme != "http" && scheme != "https" {
			return "", "", fmt.Errorf("endpoint %q: the scheme must be http or https", shown)
		}
		if u.Host == "" {
			return "", "", fmt.Errorf("endpoint %q has no host", shown)
		}
		if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			// The API is served at "/" only; anything else would be dropped
			// silently by the SDK, so refuse it instead.
			return "", "", fmt.Errorf("endpoint %q: only scheme, host and port are allowed", shown)
		}
		return u.Host, scheme, nil
	}
	if strings.ContainsAny(s, "/?#@ ") {
		return "", "", fmt.Errorf("endpoint %q is not a URL or host:port", shown)
	}
	if isLoopback(s) {
		return s, "http", nil
	}
	return s, "https", nil
}

// Shown returns an endpoint setting as messages may quote it: whatever
// comes before its last "@" after the scheme (user information, which may
// hold a password) is replaced by "***".
func Shown(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		scheme, rest = "", s
	} else {
		scheme += "://"
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = "***" + rest[i:]
	}
	return scheme + rest
}

// isLoopback reports whether hostport names this machine.
func isLoopback(hostport string) bool {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	h = strings.Trim(h, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsLoopback()
}
