package emulator

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/tea"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"
)

const (
	testAK     = "testAK"
	testSecret = "testSecret"
	testRegion = "cn-hongkong"
)

// fakeClock is an injected clock. It starts at the real time because the
// SDK signs with the real time and the emulator checks skew.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Now().UTC()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// start runs a server for the test with signature checks on testAK.
func start(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.AccessKeys == nil && !opts.SkipAuth {
		opts.AccessKeys = map[string]string{testAK: testSecret}
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	s, err := NewServer(opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// sdkConfig is the config of an official SDK client for s (the VPC and
// ECS SDKs take the same); mods adjust it.
func sdkConfig(s *Server, mods ...func(*openapiutil.Config)) *openapiutil.Config {
	cfg := &openapiutil.Config{
		AccessKeyId:     tea.String(testAK),
		AccessKeySecret: tea.String(testSecret),
		Endpoint:        tea.String(s.Endpoint()),
		Protocol:        tea.String("http"),
		RegionId:        tea.String(testRegion),
	}
	for _, m := range mods {
		m(cfg)
	}
	return cfg
}

// sdk returns an official VPC SDK client for s; mods adjust the config.
func sdk(t *testing.T, s *Server, mods ...func(*openapiutil.Config)) *vpc.Client {
	t.Helper()
	c, err := vpc.NewClient(sdkConfig(s, mods...))
	if err != nil {
		t.Fatalf("vpc.NewClient: %v", err)
	}
	return c
}

func v2(cfg *openapiutil.Config) { cfg.SignatureAlgorithm = tea.String("v2") }

// ownHTTP gives the SDK client its own HTTP client. Tests that call from
// several goroutines need it: the SDK's shared default client writes its
// Timeout while other requests read it (a data race inside tea/dara).
func ownHTTP(cfg *openapiutil.Config) { cfg.HttpClient = httpCaller{&http.Client{}} }

type httpCaller struct{ c *http.Client }

func (h httpCaller) Call(req *http.Request, _ *http.Transport) (*http.Response, error) {
	return h.c.Do(req)
}

// code returns the API error code and HTTP status of an SDK error.
func code(err error) (string, int) {
	if err == nil {
		return "", 200
	}
	var se *tea.SDKError
	if errors.As(err, &se) {
		return tea.StringValue(se.Code), tea.IntValue(se.StatusCode)
	}
	return "not-an-SDKError: " + err.Error(), 0
}

func s(v string) *string { return tea.String(v) }
func i32(v int32) *int32 { return tea.Int32(v) }
func b(v bool) *bool     { return tea.Bool(v) }

// rawClient sends hand-built requests, signed with the v1 scheme (as the
// aliyun CLI and Terraform's tea-rpc do) unless told otherwise.
type rawClient struct {
	url       string
	ak        string
	secret    string
	now       func() time.Time
	nonce     int
	mu        sync.Mutex
	formBody  bool // business parameters in a form body (Terraform)
	noSign    bool
	badSecret bool
}

func newRaw(s *Server) *rawClient {
	return &rawClient{url: s.URL(), ak: testAK, secret: testSecret, now: time.Now}
}

func (rc *rawClient) nextNonce() string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.nonce++
	return fmt.Sprintf("nonce-%d-%d", time.Now().UnixNano(), rc.nonce)
}

// v1Sign returns the v1 HMAC-SHA1 signature of all params.
func v1Sign(method, secret string, all map[string]string) string {
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = pct(k) + "=" + pct(all[k])
	}
	sts := method + "&%2F&" + pct(strings.Join(parts, "&"))
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(sts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// call sends action with business params; common params may be
// overridden through params too.
func (rc *rawClient) call(action string, business map[string]string) (int, map[string]any, http.Header) {
	common := map[string]string{
		"Action": action, "Format": "json", "Version": "2016-04-28",
		"Timestamp":      rc.now().UTC().Format("2006-01-02T15:04:05Z"),
		"SignatureNonce": rc.nextNonce(), "SignatureMethod": "HMAC-SHA1",
		"SignatureVersion": "1.0", "AccessKeyId": rc.ak,
	}
	for k, v := range business {
		if _, ok := common[k]; ok {
			common[k] = v
			delete(business, k)
		}
	}
	all := map[string]string{}
	for k, v := range common {
		all[k] = v
	}
	for k, v := range business {
		all[k] = v
	}
	secret := rc.secret
	if rc.badSecret {
		secret = "wrong"
	}
	if !rc.noSign {
		common["Signature"] = v1Sign("POST", secret, all)
	}
	q, form := url.Values{}, url.Values{}
	for k, v := range common {
		q.Set(k, v)
	}
	for k, v := range business {
		if rc.formBody {
			form.Set(k, v)
		} else {
			q.Set(k, v)
		}
	}
	req, _ := http.NewRequest("POST", rc.url+"/?"+q.Encode(), strings.NewReader(form.Encode()))
	if rc.formBody {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, map[string]any{"transport": err.Error()}, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		m = map[string]any{"unparsable": string(body)}
	}
	return resp.StatusCode, m, resp.Header
}

// eventually polls cond (no fixed sleeps: it returns as soon as cond holds).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// listFilter returns the filter with id as the SDK sees it, or nil.
func listFilter(t *testing.T, c *vpc.Client, id string) *vpc.ListTrafficMirrorFiltersResponseBodyTrafficMirrorFilters {
	t.Helper()
	r, err := c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{
		RegionId: s(testRegion), TrafficMirrorFilterIds: []*string{s(id)},
	})
	if err != nil {
		t.Fatalf("ListTrafficMirrorFilters: %v", err)
	}
	if len(r.Body.TrafficMirrorFilters) == 0 {
		return nil
	}
	return r.Body.TrafficMirrorFilters[0]
}

func listSession(t *testing.T, c *vpc.Client, id string) *vpc.ListTrafficMirrorSessionsResponseBodyTrafficMirrorSessions {
	t.Helper()
	r, err := c.ListTrafficMirrorSessions(&vpc.ListTrafficMirrorSessionsRequest{
		RegionId: s(testRegion), TrafficMirrorSessionIds: []*string{s(id)},
	})
	if err != nil {
		t.Fatalf("ListTrafficMirrorSessions: %v", err)
	}
	if len(r.Body.TrafficMirrorSessions) == 0 {
		return nil
	}
	return r.Body.TrafficMirrorSessions[0]
}
