package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/tmsync/tmsync/internal/emulator"
)

// emulatorFlags are the flags of `tmsync emulator`, parsed into
// emulatorOptions before anything starts.
type emulatorOptions struct {
	listen          string
	stateFile       string
	inventoryFile   string
	accessKeyID     string
	accessKeySecret string
	asyncDelay      time.Duration
	latency         time.Duration
	faults          string
	seed            int64
	quotas          emulator.Quotas
	serviceClosed   bool
	keepDeleted     bool
	log             bool
}

func emulatorCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "emulator",
		Usage: "run a local emulator of the Alibaba Cloud VPC Traffic Mirror API (and ECS DescribeNetworkInterfaces)",
		UsageText: `tmsync emulator [--listen 127.0.0.1:0] [--state FILE] [--inventory FILE] [options]

   The first line printed is the endpoint, e.g. http://127.0.0.1:43121. Point any
   client at it: the official SDK (Endpoint "127.0.0.1:43121", Protocol "http"),
   the aliyun CLI (--endpoint 127.0.0.1:43121 --insecure), Terraform (protocol
   "HTTP", endpoints { vpc = "127.0.0.1:43121" }) or tmsync (--endpoint URL).

   Keys come from --access-key-id/--access-key-secret, else from
   ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET; with neither, a
   pair is generated and printed. It runs until interrupted (SIGINT, SIGTERM).

Examples:
   tmsync emulator --listen 127.0.0.1:8080 --state .tmsync/emulator.json
   tmsync emulator --async-delay 2s --faults 'CreateTrafficMirrorFilter:drop:1:1,*:throttle:0.1'
   aliyun vpc ListTrafficMirrorFilters --RegionId cn-hangzhou --endpoint 127.0.0.1:8080 --insecure
   aliyun ecs DescribeNetworkInterfaces --RegionId cn-hangzhou --Tag.1.Key app --Tag.1.Value web --endpoint 127.0.0.1:8080 --insecure`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "listen", Value: "127.0.0.1:0", Usage: "TCP address to listen on"},
			&ucli.StringFlag{Name: "state", Usage: "keep state in this JSON `FILE` (shared safely by several emulators); default in memory"},
			&ucli.StringFlag{Name: "inventory", Usage: "YAML or JSON `FILE` of the ENIs and SLB instances that exist; default any well-formed ID exists"},
			&ucli.StringFlag{Name: "access-key-id", Usage: "accept this access key ID"},
			&ucli.StringFlag{Name: "access-key-secret", Usage: "the secret of --access-key-id"},
			nonNegative(&ucli.DurationFlag{Name: "async-delay", Value: time.Second, Usage: "how long Creating, Modifying and Deleting last"}),
			nonNegative(&ucli.DurationFlag{Name: "latency", Usage: "added to every API request"}),
			&ucli.StringFlag{Name: "faults", Usage: "faults to inject: `SPEC` = ACTION:KIND[:PROBABILITY[:COUNT[:DURATION]]],…"},
			&ucli.Int64Flag{Name: "seed", Usage: "seed of generated IDs and fault decisions (0 = random)"},
			minInt(-1, &ucli.IntFlag{Name: "filters-per-region", Value: emulator.DefaultFiltersPerRegion, Usage: "quota of filters per region (-1 = none)"}),
			minInt(-1, &ucli.IntFlag{Name: "sessions-per-region", Value: emulator.DefaultSessionsPerRegion, Usage: "quota of sessions per region (-1 = none)"}),
			minInt(1, &ucli.IntFlag{Name: "sources-per-session", Value: emulator.DefaultSourcesPerSession, Usage: "most sources of one session"}),
			minInt(0, &ucli.IntFlag{Name: "sessions-per-source", Usage: "most sessions one ENI may be a source of (0 = unlimited)"}),
			&ucli.BoolFlag{Name: "unique-rule-priorities", Value: true, Usage: "refuse two rules with one priority in a filter and direction"},
			positive(&ucli.DurationFlag{Name: "token-ttl", Value: emulator.DefaultTokenTTL, Usage: "how long a ClientToken is remembered"}),
			&ucli.BoolFlag{Name: "refused-request-uses-token", Usage: "a refused request remembers its ClientToken"},
			&ucli.BoolFlag{Name: "service-closed", Usage: "regions start with the traffic mirror service closed"},
			minInt(1, &ucli.IntFlag{Name: "enis-per-tag-query", Value: emulator.DefaultENIsPerTagQuery, Usage: "most ENIs DescribeNetworkInterfaces answers for a query by tag or resource group"}),
			&ucli.BoolFlag{Name: "keep-deleted-sources", Usage: "an ENI that leaves the inventory stays a source of its sessions (default: dropped from them)"},
			&ucli.BoolFlag{Name: "log", Usage: "log each request to stderr"},
		},
		Action: func(c *ucli.Context) error {
			o, err := emulatorOptionsFrom(c)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runEmulator(ctx, o, c.App.Writer, c.App.ErrWriter)
		},
	}
}

func emulatorOptionsFrom(c *ucli.Context) (emulatorOptions, error) {
	o := emulatorOptions{
		listen:          c.String("listen"),
		stateFile:       c.String("state"),
		inventoryFile:   c.String("inventory"),
		accessKeyID:     c.String("access-key-id"),
		accessKeySecret: c.String("access-key-secret"),
		asyncDelay:      c.Duration("async-delay"),
		latency:         c.Duration("latency"),
		faults:          c.String("faults"),
		seed:            c.Int64("seed"),
		serviceClosed:   c.Bool("service-closed"),
		keepDeleted:     c.Bool("keep-deleted-sources"),
		log:             c.Bool("log"),
		quotas: emulator.Quotas{
			FiltersPerRegion:        c.Int("filters-per-region"),
			SessionsPerRegion:       c.Int("sessions-per-region"),
			SourcesPerSession:       c.Int("sources-per-session"),
			SessionsPerSource:       c.Int("sessions-per-source"),
			UniqueRulePriorities:    emulator.Bool(c.Bool("unique-rule-priorities")),
			TokenTTL:                c.Duration("token-ttl"),
			RefusedRequestUsesToken: c.Bool("refused-request-uses-token"),
			ENIsPerTagQuery:         c.Int("enis-per-tag-query"),
		},
	}
	o.quotas.ServiceOpenByDefault = emulator.Bool(!o.serviceClosed)
	if o.accessKeyID == "" && o.accessKeySecret == "" {
		o.accessKeyID = os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID")
		o.accessKeySecret = os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
	}
	if (o.accessKeyID == "") != (o.accessKeySecret == "") {
		return o, withHint(errors.New("emulator: an access key ID needs its secret, and a secret its ID"),
			"give both --access-key-id and --access-key-secret, or neither to have a pair generated")
	}
	return o, nil
}

// runEmulator starts the emulator, prints its endpoint (and a generated key
// pair), and serves until ctx ends.
func runEmulator(ctx context.Context, o emulatorOptions, stdout, stderr io.Writer) error {
	opts := emulator.Options{
		Listen:     o.listen,
		StateFile:  o.stateFile,
		AsyncDelay: o.asyncDelay,
		Latency:    o.latency,
		Seed:       o.seed,
		Quotas:     o.quotas,

		KeepDeletedSources: o.keepDeleted,
	}
	if o.faults != "" {
		fs, err := emulator.ParseFaults(o.faults)
		if err != nil {
			return withHint(fmt.Errorf("emulator: --faults: %w", err), "the format is ACTION:KIND[:PROBABILITY[:COUNT[:DURATION]]], e.g. CreateTrafficMirrorFilter:drop:1:1")
		}
		opts.Faults = fs
	}
	if o.inventoryFile != "" {
		inv, err := emulator.LoadInventory(o.inventoryFile)
		if err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
		opts.Inventory = inv
	}
	generated := false
	if o.accessKeyID == "" {
		o.accessKeyID, o.accessKeySecret = "LTAI"+randomHex(10), randomHex(15)
		generated = true
	}
	opts.AccessKeys = map[string]string{o.accessKeyID: o.accessKeySecret}
	if o.log {
		opts.Logf = func(format string, args ...any) { fmt.Fprintf(stderr, "emulator: "+format+"\n", args...) }
	}
	srv, err := emulator.NewServer(opts)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	defer srv.Close()
	if !srv.Loopback() {
		fmt.Fprintf(stderr, "tmsync: warning: the emulator listens on %s, which other machines can reach; its admin endpoints under /_emulator/ take no signature\nhint: listen on 127.0.0.1 (the default) unless other machines must reach it\n", srv.Endpoint())
	}
	fmt.Fprintln(stdout, srv.URL())
	if generated {
		// Only a generated secret is printed: the user has no other way to
		// learn it. A secret the user gave is never echoed.
		fmt.Fprintf(stdout, "access key id: %s\naccess key secret: %s\n", o.accessKeyID, o.accessKeySecret)
	} else {
		fmt.Fprintf(stdout, "access key id: %s\n", o.accessKeyID)
	}
	fmt.Fprintf(stdout, "admin: %s/_emulator/stats\n", srv.URL())
	if f, ok := stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	<-ctx.Done()
	fmt.Fprintln(stderr, "emulator: stopping")
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))[:2*n]
}
