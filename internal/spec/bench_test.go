package spec

import (
	"math/rand"
	"testing"

	"github.com/tmsync/tmsync/internal/workload"
)

// BenchmarkLoad10000Rules loads one generated file of 1,000 filters of 10
// rules (10,000 rules) and 1,000 sessions of 1-10 sources, the largest stack
// make bench generates. The target (issue 15) is a whole tmsync validate of
// it under 150 ms on a 2-core machine.
func BenchmarkLoad10000Rules(b *testing.B) {
	st := workload.Generate(rand.New(rand.NewSource(1)), "bench", "cn-hangzhou", workload.Sizes{
		Filters: 1000, Sessions: 1000, RulesMin: 10, RulesMax: 10, SourcesMin: 1, SourcesMax: 10,
	})
	path, err := st.WriteDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		stacks, err := Load([]string{path})
		if err != nil {
			b.Fatal(err)
		}
		if n := len(stacks[0].Filters); n != 1000 {
			b.Fatalf("loaded %d filters, want 1000", n)
		}
	}
}
