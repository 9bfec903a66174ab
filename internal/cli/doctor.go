package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/cloud/aliyun"
)

// Clock skew limits: the API refuses signatures more than 15 minutes off;
// a few minutes off already deserves a warning.
const (
	maxClockSkew  = 15 * time.Minute
	warnClockSkew = 2 * time.Minute
)

// doctorOptions are the parsed flags of tmsync doctor.
type doctorOptions struct {
	region   string
	endpoint endpointOptions
	now      func() time.Time
}

func doctorCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "doctor",
		Usage: "check credentials, endpoint, service and clock; prints no secret",
		Description: `Says which endpoint and credentials source tmsync would use (the access key
   ID masked, never a secret), and with --region asks the API whether the
   Traffic Mirror service is open there and compares this machine's clock
   with the API's Date header: the API refuses requests signed more than 15
   minutes off.

Examples:
   tmsync doctor
   tmsync doctor --region cn-hangzhou
   tmsync doctor --region cn-hangzhou --profile prod
   tmsync doctor --region cn-hangzhou --endpoint local

Exit codes:
   0  every check passed (warnings included)
   1  a check failed: no credentials, API unreachable or refusing, clock off by 15 minutes or more`,
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "region", Usage: "`REGION` to check the service and clock in, e.g. cn-hangzhou"},
		}, endpointFlags()...),
		Action: func(c *ucli.Context) error {
			o := doctorOptions{region: c.String("region"), endpoint: endpointOptionsFrom(c), now: time.Now}
			if err := o.endpoint.validate(); err != nil {
				return err
			}
			if o.region != "" {
				if err := checkRegionFlag(o.region, o.endpoint.Endpoint); err != nil {
					return err
				}
			}
			return runDoctor(c.Context, o, c.App.Writer)
		},
	}
}

// A doctorReport collects check results, one a line.
type doctorReport struct {
	w      io.Writer
	failed int
}

func (r *doctorReport) line(status, what, format string, args ...any) {
	if status == "FAIL" {
		r.failed++
	}
	fmt.Fprintf(r.w, "  %-4s  %-12s %s\n", status, what+":", fmt.Sprintf(format, args...))
}

func runDoctor(ctx context.Context, o doctorOptions, stdout io.Writer) error {
	r := &doctorReport{w: stdout}
	fmt.Fprintf(stdout, "tmsync %s\n", version())
	local := o.endpoint.local()

	// Endpoint.
	switch {
	case local:
		r.line("ok", "endpoint", "local: the emulator in-process, state in %s", o.endpoint.StateDir)
	case o.endpoint.Endpoint != "":
		r.line("ok", "endpoint", "%s (--endpoint or TMSYNC_ENDPOINT)", o.endpoint.Endpoint)
	case o.region != "":
		r.line("ok", "endpoint", "the Alibaba Cloud endpoint of %s", o.region)
	default:
		r.line("ok", "endpoint", "the Alibaba Cloud endpoint of each stack's region")
	}

	// Credentials.
	credsOK := true
	if local {
		r.line("ok", "credentials", "none needed: the local emulator uses a key made up for this process")
	} else {
		info, err := aliyun.DescribeCredentials(o.endpoint.Profile)
		var ce *aliyun.CredentialsError
		switch {
		case errors.As(err, &ce):
			credsOK = false
			r.line("FAIL", "credentials", "%v", err)
			fmt.Fprintf(stdout, "        hint: %s\n", ce.Hint())
		case err != nil:
			credsOK = false
			r.line("FAIL", "credentials", "%v", err)
		default:
			kind := "access key"
			if info.Temporary {
				kind = "temporary (STS) access key"
			}
			r.line("ok", "credentials", "%s %s from %s", kind, info.AccessKeyID, info.Source)
		}
	}

	// Service and clock, which need a region and an API answer.
	if o.region == "" {
		fmt.Fprintln(stdout, "  Pass --region to check the service and the clock against the API.")
	} else if credsOK {
		doctorAPI(ctx, o, r)
	}
	if r.failed > 0 {
		return silentError{fmt.Errorf("%d checks failed", r.failed)}
	}
	return nil
}

// serverDater is a client that remembers the API's Date header.
type serverDater interface {
	LastServerDate() time.Time
}

func doctorAPI(ctx context.Context, o doctorOptions, r *doctorReport) {
	c, closeFn, err := o.endpoint.open(ctx, o.region, "")
	if err != nil {
		r.line("FAIL", "api", "%v", err)
		return
	}
	defer closeFn()
	sent := o.now()
	open, err := c.GetServiceStatus(ctx)
	if ue := asUnreachable(err, c.Endpoint()); ue != nil {
		r.line("FAIL", "api", "%v", ue)
		fmt.Fprintf(r.w, "        hint: %s\n", unreachableHint(ue))
		return
	}
	r.line("ok", "api", "%s", c.Endpoint())
	switch {
	case err != nil:
		r.line("FAIL", "service", "GetTrafficMirrorServiceStatus in %s: %v", o.region, err)
		var refused *aliyun.AuthError
		if errors.As(err, &refused) {
			fmt.Fprintf(r.w, "        hint: %s\n", refused.Hint())
		} else if k := cloud.KindOf(err); k == cloud.KindAuth {
			fmt.Fprintln(r.w, "        hint: check the credentials' permissions (vpc:GetTrafficMirrorServiceStatus) and this machine's clock")
		}
	case open:
		r.line("ok", "service", "Traffic Mirror is open in %s", o.region)
	default:
		r.line("warn", "service", "Traffic Mirror is not open in %s; add `service: {enabled: true}` to the stack to let apply open it", o.region)
	}
	d, ok := c.(serverDater)
	if !ok || d.LastServerDate().IsZero() {
		r.line("warn", "clock", "the API sent no Date header; the clock could not be checked")
		return
	}
	// The Date header has a resolution of one second (a date stands for
	// the second after it): compare its middle with the middle of the
	// request.
	mid := sent.Add(o.now().Sub(sent) / 2)
	skew := mid.Sub(d.LastServerDate().Add(500 * time.Millisecond)).Round(time.Second)
	abs, dir := skew, "ahead of"
	if skew < 0 {
		abs, dir = -skew, "behind"
	}
	switch {
	case abs >= maxClockSkew:
		r.line("FAIL", "clock", "this machine is %s %s the API; requests signed more than %s off are refused: sync the clock (NTP)", abs, dir, maxClockSkew)
	case abs >= warnClockSkew:
		r.line("warn", "clock", "this machine is %s %s the API (refused from %s)", abs, dir, maxClockSkew)
	default:
		r.line("ok", "clock", "within %s of the API", max(abs, time.Second))
	}
}
