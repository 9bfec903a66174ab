package emulator

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// TestAdminRefusesOtherHostsAndOrigins checks that the admin endpoints,
// which take no signature, answer only requests addressed to the emulator
// itself and sent by no other web origin: a page in the user's browser
// must not reach them through a rebinding DNS name or a cross-origin POST.
func TestAdminRefusesOtherHostsAndOrigins(t *testing.T) {
	srv := start(t, Options{})
	_, port, _ := net.SplitHostPort(srv.Endpoint())
	cases := map[string]struct {
		reason string
		host   string
		header map[string]string
		want   int
	}{
		"listen address": {reason: "the exact host:port it listens on", host: srv.Endpoint(), want: 200},
		"localhost":      {reason: "localhost with its port", host: "localhost:" + port, want: 200},
		"localhost case": {reason: "host names are case-insensitive", host: "LocalHost:" + port, want: 200},
		"ipv6 loopback":  {reason: "[::1] with its port", host: "[::1]:" + port, want: 200},
		"same origin": {reason: "a page served by the emulator itself", host: srv.Endpoint(),
			header: map[string]string{"Origin": srv.URL()}, want: 200},
		"other host": {reason: "a rebinding DNS name", host: "attacker.example:" + port, want: 403},
		"other port": {reason: "localhost on another port", host: "localhost:1", want: 403},
		"no port":    {reason: "a Host without the port", host: "127.0.0.1", want: 403},
		"cross origin": {reason: "a cross-origin request from a web page", host: srv.Endpoint(),
			header: map[string]string{"Origin": "http://attacker.example"}, want: 403},
		"null origin": {reason: "a sandboxed page sends Origin: null", host: srv.Endpoint(),
			header: map[string]string{"Origin": "null"}, want: 403},
		"cross site fetch": {reason: "the browser says the request is cross-site", host: srv.Endpoint(),
			header: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: 403},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, call := range []struct{ method, path, body string }{
				{"GET", "stats", ""},
				{"POST", "faults", "*:throttle:1"},
			} {
				req, _ := http.NewRequest(call.method, srv.URL()+"/_emulator/"+call.path, strings.NewReader(call.body))
				req.Host = tc.host
				for k, v := range tc.header {
					req.Header.Set(k, v)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("%s %s: %v", call.method, call.path, err)
				}
				resp.Body.Close()
				if resp.StatusCode != tc.want {
					t.Errorf("%s: %s %s = %d, want %d", tc.reason, call.method, call.path, resp.StatusCode, tc.want)
				}
			}
			if tc.want != 200 && len(srv.Faults()) != 0 {
				t.Errorf("%s: a refused POST changed the faults: %v", tc.reason, srv.Faults())
			}
			srv.SetFaults(nil)
		})
	}
}

// TestSlowClientsAreCut checks that a client sending its headers or body
// slowly (slowloris) loses the connection after the read timeout instead
// of holding it for ever.
func TestSlowClientsAreCut(t *testing.T) {
	srv := start(t, Options{SkipAuth: true, ReadTimeout: 100 * time.Millisecond})
	cases := map[string]struct {
		reason string
		send   string
	}{
		"headers": {reason: "headers that never end",
			send: "POST / HTTP/1.1\r\nHost: " + srv.Endpoint() + "\r\nX-Slow: 1\r\n"},
		"body": {reason: "a body shorter than its Content-Length",
			send: "POST / HTTP/1.1\r\nHost: " + srv.Endpoint() + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nAction=ListTraffic"},
		"admin body": {reason: "an admin body shorter than its Content-Length",
			send: "POST /_emulator/faults HTTP/1.1\r\nHost: " + srv.Endpoint() + "\r\nContent-Length: 1000\r\n\r\n*:thr"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Endpoint())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write([]byte(tc.send)); err != nil {
				t.Fatal(err)
			}
			// The bound is generous: it only tells "cut" from "held for ever".
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			r := bufio.NewReader(conn)
			for {
				if _, err := r.ReadString('\n'); err != nil {
					if errors.Is(err, os.ErrDeadlineExceeded) {
						t.Fatalf("%s: the connection is still open after 5s", tc.reason)
					}
					return // closed by the server
				}
			}
		})
	}
}

// TestBodyOverLimitRefused checks that a body over the size limit is
// refused, not cut and then served.
func TestBodyOverLimitRefused(t *testing.T) {
	srv := start(t, Options{SkipAuth: true})
	form := url.Values{"Action": {"ListTrafficMirrorFilters"}, "Version": {apiVersion}, "RegionId": {testRegion}}.Encode()
	body := form + "&Pad=" + strings.Repeat("x", maxBodyBytes)
	req, _ := http.NewRequest("POST", srv.URL()+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	st, m, _ := do(t, req)
	if st != 400 || m["Code"] != "InvalidParameter" {
		t.Errorf("a body over %d bytes = %d %v, want 400 InvalidParameter", maxBodyBytes, st, m)
	}
}

// TestNonceBounded checks that an over-long signature nonce is refused in
// the API's error shape, for both signature schemes, and not remembered.
func TestNonceBounded(t *testing.T) {
	clk := newClock()
	srv := start(t, Options{Now: clk.Now})
	long := strings.Repeat("n", maxNonceLen+1)

	rc := newRaw(srv)
	rc.now = clk.Now
	st, m, _ := rc.call("ListTrafficMirrorFilters", map[string]string{"RegionId": testRegion, "SignatureNonce": long})
	if st != 400 || m["Code"] != "InvalidSignatureNonce" || m["RequestId"] == nil || m["Recommend"] == nil {
		t.Errorf("v1 with a %d-character nonce = %d %v, want 400 InvalidSignatureNonce in the error envelope", len(long), st, m)
	}
	req := acs3Request(srv, "ListTrafficMirrorFilters", "RegionId="+testRegion, clk.Now(), long)
	acs3Sign(req, testSecret, nil)
	if st, m, _ := do(t, req); st != 400 || m["Code"] != "InvalidSignatureNonce" {
		t.Errorf("ACS3 with a %d-character nonce = %d %v, want 400 InvalidSignatureNonce", len(long), st, m)
	}
	if n := srv.nonces.len(); n != 0 {
		t.Errorf("%d refused nonces remembered, want 0", n)
	}
	ok := strings.Repeat("n", maxNonceLen)
	if st, m, _ := rc.call("ListTrafficMirrorFilters", map[string]string{"RegionId": testRegion, "SignatureNonce": ok}); st != 200 {
		t.Errorf("a %d-character nonce = %d %v, want 200", len(ok), st, m)
	}
}

// TestNonceSet checks the nonce memory: a nonce is refused while its
// timestamp could still be accepted, forgotten after, and forgetting keeps
// nothing behind, also when the clock steps back (an injected clock fault).
func TestNonceSet(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type use struct {
		key  string
		at   time.Duration
		want bool
	}
	cases := map[string]struct {
		reason   string
		uses     []use
		wantLeft int
	}{
		"replay": {reason: "a nonce used twice in its window",
			uses: []use{{"a", 0, true}, {"a", time.Minute, false}, {"b", time.Minute, true}}, wantLeft: 2},
		"expired": {reason: "a nonce is forgotten after twice the skew",
			uses: []use{{"a", 0, true}, {"b", time.Minute, true}, {"a", 2*maxSkew + time.Second, true}}, wantLeft: 2},
		"all expired": {reason: "nothing is left once every window passed",
			uses: []use{{"a", 0, true}, {"b", time.Minute, true}, {"c", 5 * maxSkew, true}}, wantLeft: 1},
		"clock back": {reason: "a clock stepping back still forgets in expiry order",
			uses: []use{{"a", 10 * time.Minute, true}, {"b", 0, true}, {"b", 2*maxSkew + time.Second, true}, {"a", 2*maxSkew + 11*time.Minute, true}}, wantLeft: 2},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			n := newNonceSet()
			for i, u := range tc.uses {
				now := t0.Add(u.at)
				if got := n.use(u.key, now, now.Add(2*maxSkew)); got != u.want {
					t.Errorf("%s: use %d (%q at %v) = %v, want %v", tc.reason, i, u.key, u.at, got, u.want)
				}
			}
			if got := n.len(); got != tc.wantLeft {
				t.Errorf("%s: %d nonces left, want %d", tc.reason, got, tc.wantLeft)
			}
			if len(n.byExpiry) != len(n.seen) {
				t.Errorf("%s: %d in the expiry queue, %d in the map", tc.reason, len(n.byExpiry), len(n.seen))
			}
		})
	}
}

// TestLoopback checks what the emulator reports about its reach.
func TestLoopback(t *testing.T) {
	for name, tc := range map[string]struct {
		listen string
		want   bool
	}{
		"ipv4 loopback": {listen: "127.0.0.1:0", want: true},
		"localhost":     {listen: "localhost:0", want: true},
		"all addresses": {listen: "0.0.0.0:0", want: false},
		"unspecified":   {listen: ":0", want: false},
	} {
		t.Run(name, func(t *testing.T) {
			srv := start(t, Options{SkipAuth: true, Listen: tc.listen})
			if got := srv.Loopback(); got != tc.want {
				t.Errorf("Listen %q (%s): Loopback() = %v, want %v", tc.listen, srv.Endpoint(), got, tc.want)
			}
		})
	}
}
