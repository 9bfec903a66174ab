// Command soak runs make soak: SOAK_ROUNDS rounds (default 200) of random
// spec changes applied by bin/tmsync against an emulator with random
// faults and kills. With -runners N (SOAK_RUNNERS; make soak uses 2), N
// tmsync processes with separate lock directories apply each round's spec
// at once, as N CI runners would. It prints the seed first (SOAK_SEED
// replays it) and the summary line last, and exits non-zero on any
// violation, keeping the failing round's seed and spec.
package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"

	"github.com/tmsync/tmsync/internal/soak"
	"github.com/tmsync/tmsync/internal/workload"
)

func main() { os.Exit(run()) }

func run() int {
	bin := flag.String("tmsync", "bin/tmsync", "the tmsync binary to soak")
	rounds := flag.Int("rounds", envInt("SOAK_ROUNDS", 200), "rounds to run (SOAK_ROUNDS)")
	runners := flag.Int("runners", envInt("SOAK_RUNNERS", 1), "tmsync processes that apply each round at once, as separate machines (SOAK_RUNNERS)")
	seed := flag.Int64("seed", int64(envInt("SOAK_SEED", 0)), "seed to replay (SOAK_SEED); 0 picks one")
	flag.Parse()
	if *runners < 1 {
		fmt.Fprintf(os.Stderr, "soak: -runners %d: want 1, or 2 or 3 to race runners as separate CI runners would\n", *runners)
		return 2
	}
	if *seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		*seed = int64(binary.LittleEndian.Uint64(b[:]) >> 2)
	}
	fmt.Printf("soak: seed %d (replay with SOAK_SEED=%d), %d rounds, %d runners at once\n", *seed, *seed, *rounds, *runners)
	dir, err := os.MkdirTemp("", "tmsync-soak-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sum, err := soak.Run(ctx, soak.Config{Rounds: *rounds, Runners: *runners, Seed: *seed, Tmsync: workload.Binary(*bin), Dir: dir, Log: os.Stdout})
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		if sum.Failed != "" {
			fmt.Fprintf(os.Stderr, "soak: the failing round's seed, spec, faults and output are in %s\n", sum.Failed)
		} else {
			fmt.Fprintf(os.Stderr, "soak: work directory kept in %s\n", dir)
		}
	} else {
		os.RemoveAll(dir)
	}
	fmt.Println(sum.Line())
	if err != nil || !sum.OK() {
		return 1
	}
	return 0
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return def
}
