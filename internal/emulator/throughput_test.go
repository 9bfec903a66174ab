package emulator_test

import (
	"context"
	"testing"

	"github.com/tmsync/tmsync/internal/workload"
)

// BenchmarkThroughput measures the requests a second the emulator serves
// with 1,000 filters and 1,000 sessions in the region (issue 15): List
// pages of 100 objects and single-object writes, each with a token of its
// own, from 4 plain HTTP clients. make bench reports the same measure.
func BenchmarkThroughput(b *testing.B) {
	for _, store := range []string{"memory", "file"} {
		b.Run(store, func(b *testing.B) {
			cfg := workload.LoadConfig{Filters: 1000, Sessions: 1000, Seed: 1}
			if store == "file" {
				cfg.StateFile = b.TempDir() + "/state.json"
			}
			l, err := workload.NewLoad(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			ctx := context.Background()
			b.Run("ListPages", func(b *testing.B) {
				if err := l.Lists(ctx, b.N, 4); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			})
			b.Run("Writes", func(b *testing.B) {
				if err := l.Writes(ctx, b.N, 4); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			})
		})
	}
}

// TestListsDuringWrites lists while other clients write: a List's answer
// is encoded outside the store's lock, from objects that writes must never
// change in place (the race detector of make test watches).
func TestListsDuringWrites(t *testing.T) {
	l, err := workload.NewLoad(workload.LoadConfig{Filters: 50, Sessions: 50, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	errs := make(chan error, 2)
	go func() { errs <- l.Lists(ctx, 300, 2) }()
	go func() { errs <- l.Writes(ctx, 300, 2) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
