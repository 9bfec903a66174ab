package apply

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestStaleTokenMessage: a replayed create whose object List never shows is
// reported as what tmsync knows, that List did not show it within
// --gone-after, which a deleted object and List lag both explain; not as a
// deletion it cannot tell from lag.
func TestStaleTokenMessage(t *testing.T) {
	f := createFilter("web")
	clk := newFakeClock()
	c := newFakeCloud(clk)
	c.byToken[f.ClientToken] = "tmf-old"
	o := opts()
	o.GoneAfter = time.Minute
	_, events := run(t, clk, planOf(f), c, o)
	var got []string
	for _, e := range events {
		if e.Type == StepRetrying && e.Notice == StaleToken {
			got = append(got, e.Message)
		}
	}
	want := []string{"filter tmf-old never showed in List within --gone-after (1m0s): it was deleted since the token was first used, " +
		"or List does not show it yet; creating again with the next token"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages of the stale-token retry (-want +got):\n%s", diff)
	}
}
