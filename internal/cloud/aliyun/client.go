package aliyun

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	ecs "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"
	"github.com/aliyun/credentials-go/credentials"

	"github.com/tmsync/tmsync/internal/cloud"
)

// DefaultRequestTimeout bounds one API request when Config names none; the
// SDK itself would wait forever.
const DefaultRequestTimeout = 30 * time.Second

// Config says which account, region and endpoint a Client talks to.
type Config struct {
	// Region is the region ID, e.g. "cn-hongkong". Required.
	Region string
	// Endpoint is "" for the region's Alibaba Cloud endpoint, or
	// "http://host:port", "https://host[:port]" or "host:port" (see
	// ParseEndpoint).
	Endpoint string
	// Profile names a credentials profile (the --profile flag, else the
	// spec's profile); "" uses the default chain of credentials-go.
	Profile string
	// Credential, when set, overrides Profile and the chain (tests, the
	// in-process emulator). See StaticCredential.
	Credential credentials.Credential
	// RequestTimeout bounds each request; 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// UserAgent is appended to the SDK's user agent, e.g. "tmsync/1.2.0".
	UserAgent string
}

// A Client is the Traffic Mirror API of one account and region through the
// official SDK. It is safe for concurrent use.
type Client struct {
	// sdkConfig makes SDK clients and sdks holds the idle ones. An SDK
	// client is not safe for concurrent use (every RPC call writes its
	// Headers field), so each call takes one of its own.
	sdkConfig openapi.Config
	sdks      sync.Pool
	ecsSDKs   sync.Pool // the same for ECS

	region      string
	endpoint    string
	ecsEndpoint string
	timeout     time.Duration
	http        *http.Client

	// calls maps the ID of each call in flight to its record, so that the
	// transport, which the SDK hands a bare *http.Request, can find the
	// call's context and report what it saw.
	calls sync.Map // string -> *record
	seq   atomic.Uint64

	lastDate atomic.Pointer[time.Time]

	// creds says where the credentials come from and keyID is their
	// access key ID shortened, for the errors of refused requests.
	creds CredentialsInfo
	keyID string
}

var (
	_ cloud.Client    = (*Client)(nil)
	_ cloud.ENIReader = (*Client)(nil)
)

// New returns a client for cfg. It resolves credentials now (contract C2),
// so that missing ones fail here with a *CredentialsError that says what to
// do, rather than on the first call.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Region == "" {
		return nil, errors.New("no region: every spec file names its region")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	host, protocol, err := ParseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	cred, err := resolveCredential(cfg.Credential, cfg.Profile)
	if err != nil {
		return nil, err
	}
	timeout := cfg.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// apply runs up to 10 steps at once (C8) against one host; the default
	// of 2 idle connections per host would reconnect for most of them.
	tr.MaxIdleConnsPerHost = 32
	creds, keyID, err := describeCredential(cred, cfg.Profile)
	if err != nil {
		return nil, err
	}
	c := &Client{
		creds:   creds,
		keyID:   keyID,
		region:  cfg.Region,
		timeout: timeout,
		// No Timeout here: each call carries its own context with the
		// deadline, so that the caller's cancellation also ends it.
		http: &http.Client{Transport: tr},
	}
	oc := &openapi.Config{
		RegionId:   ptr(cfg.Region),
		Credential: cred,
		Protocol:   ptr(protocol),
		HttpClient: sdkTransport{c},
	}
	if host != "" {
		oc.Endpoint = ptr(host)
	}
	if cfg.UserAgent != "" {
		oc.UserAgent = ptr(cfg.UserAgent)
	}
	c.sdkConfig = *oc
	sdk, err := c.takeSDK()
	if err != nil {
		return nil, fmt.Errorf("set up the VPC client: %w", err)
	}
	c.endpoint = protocol + "://" + deref(sdk.Endpoint)
	c.sdks.Put(sdk)
	esdk, err := c.takeECS()
	if err != nil {
		return nil, fmt.Errorf("set up the ECS client: %w", err)
	}
	c.ecsEndpoint = protocol + "://" + deref(esdk.Endpoint)
	c.ecsSDKs.Put(esdk)
	return c, nil
}

// takeSDK returns an idle SDK client, or a new one; give it back with
// c.sdks.Put when the call is done.
func (c *Client) takeSDK() (*vpc.Client, error) {
	if v := c.sdks.Get(); v != nil {
		return v.(*vpc.Client), nil
	}
	// A copy: the SDK's Init may write to its config.
	cfg := c.sdkConfig
	return vpc.NewClient(&cfg)
}

// takeECS is takeSDK for the ECS API: the same credentials, region and
// transport; the endpoint given (an emulator serves both APIs on one
// port), or else the region's ECS endpoint from the SDK's map.
func (c *Client) takeECS() (*ecs.Client, error) {
	if v := c.ecsSDKs.Get(); v != nil {
		return v.(*ecs.Client), nil
	}
	cfg := c.sdkConfig
	return ecs.NewClient(&cfg)
}

// Region returns the region the client talks to.
func (c *Client) Region() string { return c.region }

// Endpoint returns the URL of the API the client talks to, e.g.
// "https://vpc.cn-hongkong.aliyuncs.com".
func (c *Client) Endpoint() string { return c.endpoint }

// ECSEndpoint returns the URL of the ECS API the client reads ENIs from,
// e.g. "https://ecs.cn-hongkong.aliyuncs.com"; with an endpoint given (an
// emulator) it is that endpoint.
func (c *Client) ECSEndpoint() string { return c.ecsEndpoint }

// Close releases idle connections. The client must not be used afterwards.
func (c *Client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

// ServerDate returns the API's clock, read from the Date header of a cheap
// call (GetTrafficMirrorServiceStatus), for clock-skew checks: the API
// refuses signatures more than 15 minutes off. An error answer carries a
// date too (a skewed clock gets one), so only an unreachable API is an error.
func (c *Client) ServerDate(ctx context.Context) (time.Time, error) {
	rec, err := c.call(ctx, "GetTrafficMirrorServiceStatus", func(sdk *vpc.Client, rt *dara.RuntimeOptions) error {
		_, err := sdk.GetTrafficMirrorServiceStatusWithOptions(
			&vpc.GetTrafficMirrorServiceStatusRequest{RegionId: ptr(c.region)}, rt)
		return err
	})
	if rec != nil && !rec.date.IsZero() {
		return rec.date, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return time.Time{}, malformed("GetTrafficMirrorServiceStatus", "the answer has no Date header")
}

// LastServerDate returns the Date header of the latest answer of any call,
// the zero time before the first.
func (c *Client) LastServerDate() time.Time {
	if t := c.lastDate.Load(); t != nil {
		return *t
	}
	return time.Time{}
}

// A record is what the transport saw of one call. Only the goroutine making
// the call touches it: the SDK calls the transport synchronously.
type record struct {
	ctx          context.Context
	status       int
	date         time.Time
	requestID    string
	transportErr error
}

// callHeader carries a call's ID from call to the transport. It is not
// signed (only host, content-type and x-acs-* headers are) and the transport
// removes it before the request leaves.
const callHeader = "x-tmsync-call"

// call runs one VPC request (see send) with an SDK client of its own.
func (c *Client) call(ctx context.Context, action string, fn func(sdk *vpc.Client, rt *dara.RuntimeOptions) error) (*record, error) {
	return c.send(ctx, "vpc", action, func(rt *dara.RuntimeOptions) error {
		sdk, err := c.takeSDK()
		if err != nil {
			return &cloud.APIError{Kind: cloud.KindUnknown, Message: action + ": set up the VPC client: " + err.Error(), Err: err}
		}
		defer c.sdks.Put(sdk)
		return fn(sdk, rt)
	})
}

// callECS is call for the ECS API.
func (c *Client) callECS(ctx context.Context, action string, fn func(sdk *ecs.Client, rt *dara.RuntimeOptions) error) (*record, error) {
	return c.send(ctx, "ecs", action, func(rt *dara.RuntimeOptions) error {
		sdk, err := c.takeECS()
		if err != nil {
			return &cloud.APIError{Kind: cloud.KindUnknown, Message: action + ": set up the ECS client: " + err.Error(), Err: err}
		}
		defer c.ecsSDKs.Put(sdk)
		return fn(sdk, rt)
	})
}

// send runs one SDK request of service (the RAM prefix: vpc, ecs) under
// the client's timeout and the caller's context, and classifies its error:
// a refused request is an *AuthError. fn makes the request with rt, which
// must be passed to the SDK's ...WithOptions method.
func (c *Client) send(ctx context.Context, service, action string, fn func(rt *dara.RuntimeOptions) error) (*record, error) {
	if err := ctx.Err(); err != nil {
		// A write must not reach the API after its caller gave up.
		return nil, fromTransportError(action, err, c.timeout)
	}
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	id := strconv.FormatUint(c.seq.Add(1), 10)
	rec := &record{ctx: cctx}
	c.calls.Store(id, rec)
	defer c.calls.Delete(id)
	rt := &dara.RuntimeOptions{
		ExtendsParameters: &dara.ExtendsParameters{Headers: map[string]*string{callHeader: &id}},
	}
	err := fn(rt)
	if err == nil {
		return rec, nil
	}
	err = classify(action, err, rec, c.timeout)
	if perr := ctx.Err(); perr != nil {
		// The caller gave up, not the API: say so, and keep the cause
		// reachable for errors.Is.
		var ae *cloud.APIError
		if errors.As(err, &ae) && ae.Code == "" {
			ae.Kind, ae.Message, ae.Err = cloud.KindServer, action+": "+perr.Error(), errors.Join(perr, ae.Err)
		}
	}
	return rec, c.authError(service, action, err)
}

// sdkTransport is the SDK's HTTP client. It gives each request the context
// of its call (the SDK builds requests without one), so that timeouts and
// cancellation end the request itself, and notes status and Date header.
type sdkTransport struct{ c *Client }

func (t sdkTransport) Call(req *http.Request, _ *http.Transport) (*http.Response, error) {
	var rec *record
	if ids := req.Header[callHeader]; len(ids) == 1 {
		if v, ok := t.c.calls.Load(ids[0]); ok {
			rec = v.(*record)
			req = req.WithContext(rec.ctx)
		}
	}
	delete(req.Header, callHeader)
	req.Header.Del(callHeader)
	if rec == nil {
		// Every request goes through call; one that did not would run
		// without a deadline, which is the bug this transport exists for.
		return nil, errors.New("aliyun: request made outside Client.call")
	}
	res, err := t.c.http.Do(req)
	if err != nil {
		rec.transportErr = err
		return nil, err
	}
	rec.status = res.StatusCode
	rec.requestID = res.Header.Get("X-Acs-Request-Id")
	if d, perr := http.ParseTime(res.Header.Get("Date")); perr == nil {
		rec.date = d
		t.c.lastDate.Store(&d)
	}
	return res, nil
}
