// Command bench runs make bench: it measures tmsync against the emulator
// with injected latency beside a per-resource baseline, runs the Compute
// and emulator throughput benchmarks, times tmsync validate on 10,000
// rules, prints a table and writes bench/results.md.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tmsync/tmsync/internal/bench"
	"github.com/tmsync/tmsync/internal/workload"
)

func main() { os.Exit(run()) }

func run() int {
	bin := flag.String("tmsync", "bin/tmsync", "the tmsync binary to measure")
	sizes := flag.String("sizes", envOr("BENCH_SIZES", "10,100,1000"), "stack sizes, comma-separated (BENCH_SIZES)")
	seed := flag.Int64("seed", 1, "seed of the generated stacks and drift")
	out := flag.String("out", "bench/results.md", "where to write the Markdown results; empty writes none")
	goCmd := flag.String("go", "go", "go command for the plan.Compute benchmark; empty skips it")
	benchtime := flag.String("benchtime", "20x", "-benchtime of the plan.Compute benchmark")
	throughputTime := flag.String("throughput-benchtime", "2000x", "-benchtime of the emulator's throughput benchmark")
	validateIn := flag.String("validate-in", "", "time tmsync validate in this directory and print the result as JSON, nothing else (the bench runs itself so)")
	flag.Parse()
	if *validateIn != "" {
		return validate(*bin, *validateIn)
	}
	var ns []int
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "bench: bad size %q in %q\n", f, *sizes)
			return 2
		}
		ns = append(ns, n)
	}
	dir, err := os.MkdirTemp("", "tmsync-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	rep := &bench.Report{Started: time.Now(), LoadBefore: bench.LoadAverage()}
	if *goCmd != "" {
		// First, while nothing else of the bench runs.
		fmt.Fprintln(os.Stderr, "bench: plan.Compute on 10,000 rules")
		buf, err := goBench(ctx, *goCmd, "^BenchmarkCompute10000Rules$", *benchtime, "./internal/plan", "-benchmem")
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		rep.Compute = bench.ParseGoBench(buf)
	}
	if *goCmd != "" {
		// In a process of its own, like the Compute benchmark: the
		// emulator's 2,000 objects would raise this process's peak RSS,
		// which the tmsync processes it starts report as theirs.
		fmt.Fprintln(os.Stderr, "bench: emulator throughput")
		buf, err := goBench(ctx, *goCmd, "^BenchmarkThroughput$", *throughputTime, "./internal/emulator", "-count", "3")
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		rep.Emulator = bench.ParseThroughput(buf)
	}
	// Before the converges too, in a process of its own: writing its
	// 10,000 rules would raise this process's peak RSS, which the tmsync
	// processes it starts afterwards report as theirs (a child starts
	// from its parent's memory until it runs tmsync).
	fmt.Fprintln(os.Stderr, "bench: tmsync validate of 10,000 rules")
	if rep.Validate, err = validateChild(ctx, *bin, filepath.Join(dir, "validate")); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	cfg := bench.Config{Sizes: ns, Seed: *seed, Tmsync: workload.Binary(*bin), Dir: dir, Log: os.Stderr}
	rep.Sizes, err = bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	rep.Config = cfg
	fmt.Fprintln(os.Stderr, "bench: sources that follow the fleet")
	fleet, err := bench.Fleet(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: fleet:", err)
		return 1
	}
	rep.Elapsed = time.Since(rep.Started)
	rep.LoadAfter = bench.LoadAverage()
	fmt.Println()
	rep.Text(os.Stdout)
	fleet.Markdown(os.Stdout)
	if *out != "" {
		var md bytes.Buffer
		rep.Markdown(&md)
		fleet.Markdown(&md)
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err == nil {
			err = os.WriteFile(*out, md.Bytes(), 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		fmt.Printf("\nWrote %s (%s).\n", *out, time.Since(rep.Started).Round(time.Second))
	}
	return 0
}

// validate times tmsync validate in dir and prints the result as JSON.
func validate(bin, dir string) int {
	v, err := bench.MeasureValidate(context.Background(), workload.Binary(bin), dir, bench.ValidateRuns)
	if err == nil {
		err = json.NewEncoder(os.Stdout).Encode(v)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	return 0
}

// validateChild runs this command again to time tmsync validate in dir.
func validateChild(ctx context.Context, bin, dir string) (*bench.ValidateResult, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-tmsync", bin, "-validate-in", dir)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("timing tmsync validate: %w", err)
	}
	var v bench.ValidateResult
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("timing tmsync validate: %w", err)
	}
	return &v, nil
}

// goBench runs the benchmarks of pkg that match pattern, as many times as
// benchtime says, and returns their output.
func goBench(ctx context.Context, goCmd, pattern, benchtime, pkg string, flags ...string) (*bytes.Buffer, error) {
	args := append([]string{"test", "-run", "^$", "-bench", pattern, "-benchtime", benchtime}, flags...)
	cmd := exec.CommandContext(ctx, goCmd, append(args, pkg)...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go test -bench: %v\n%s", err, buf.String())
	}
	return &buf, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
