package aliyun

import (
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
func ParseEndpoint(s string) (host, protocol string, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "https", nil
	}
	if scheme, _, ok := strings.Cut(s, "://"); ok {
		u, err := url.Parse(s)
		if err != nil {
			return "", "", fmt.Errorf("endpoint %q: %w", s, err)
		}
		scheme = strings.ToLower(scheme)
		if scheme != "http" && scheme != "https" {
			return "", "", fmt.Errorf("endpoint %q: the scheme must be http or https", s)
		}
		if u.Host == "" {
			return "", "", fmt.Errorf("endpoint %q has no host", s)
		}
		if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			// The API is served at "/" only; anything else would be dropped
			// silently by the SDK, so refuse it instead.
			return "", "", fmt.Errorf("endpoint %q: only scheme, host and port are allowed", s)
		}
		return u.Host, scheme, nil
	}
	if strings.ContainsAny(s, "/?#@ ") {
		return "", "", fmt.Errorf("endpoint %q is not a URL or host:port", s)
	}
	if isLoopback(s) {
		return s, "http", nil
	}
	return s, "https", nil
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
