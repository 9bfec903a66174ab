package cloud

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUnreachable checks how a call that reached no server is told from one
// the API answered, through the wrappers a transport and a client add.
func TestUnreachable(t *testing.T) {
	// wrapped is err as the aliyun client returns it: the transport's
	// url.Error inside an APIError.
	wrapped := func(err error) error {
		return &APIError{Kind: KindServer, Message: "ListTrafficMirrorFilters: " + err.Error(),
			Err: &url.Error{Op: "Post", URL: "http://127.0.0.1:1/", Err: err}}
	}
	dial := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: err}}
	}
	cases := map[string]struct {
		reason string
		err    error
		want   NetFailure
	}{
		"Nil":       {reason: "no error", err: nil, want: NotUnreachable},
		"Refused":   {reason: "nothing listens at the port", err: wrapped(dial(syscall.ECONNREFUSED)), want: Refused},
		"NoHost":    {reason: "the name does not resolve", err: wrapped(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "vpc.x.aliyuncs.com", IsNotFound: true}}), want: NoHost},
		"DNSDown":   {reason: "no DNS server answered", err: wrapped(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "i/o timeout", Name: "vpc.x.aliyuncs.com", IsTimeout: true}}), want: NoDNS},
		"NoRoute":   {reason: "no route to the host", err: wrapped(dial(syscall.EHOSTUNREACH)), want: NoRoute},
		"NoNetwork": {reason: "no network at all", err: wrapped(dial(syscall.ENETUNREACH)), want: NoRoute},
		"DialTimeout": {reason: "a dial that timed out reached no server either",
			err: wrapped(&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("i/o timeout")}), want: NoConnect},
		"Proxy": {reason: "the proxy is not there",
			err: wrapped(&net.OpError{Op: "proxyconnect", Net: "tcp", Err: errors.New("connection reset")}), want: NoConnect},
		"ReadReset": {reason: "a connection reset while reading: the server may have acted",
			err: wrapped(&net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}), want: NotUnreachable},
		"Answered": {reason: "an answer of the API", err: &APIError{Kind: KindServer, Code: "ServiceUnavailable", HTTPStatus: 503}, want: NotUnreachable},
		"Wrapped": {reason: "found under more wrapping",
			err: fmt.Errorf("read live state: %w", wrapped(dial(syscall.ECONNREFUSED))), want: Refused},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Unreachable(tc.err)); diff != "" {
				t.Errorf("%s: Unreachable() -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestUnreachableRealDial checks the error of a real refused connection.
func TestUnreachableRealDial(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = net.Dial("tcp", addr)
	if err == nil {
		t.Skip("something listens on a port just closed")
	}
	if got := Unreachable(err); got != Refused {
		t.Errorf("Unreachable(%v) = %v, want %v", err, got, Refused)
	}
}
