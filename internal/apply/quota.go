package apply

import (
	"fmt"
	"sync"

	"github.com/tmsync/tmsync/internal/plan"
)

// A QuotaGate remembers which kinds of create the API refused for quota in
// one account and region. Once a create is refused so, no more creates of
// that kind are sent there: each would be refused too, and a thousand
// refused calls say nothing one did not. Stacks of one account and region
// share a gate; it is safe for concurrent use.
type QuotaGate struct {
	mu     sync.Mutex
	closed map[plan.OpKind]string
}

// NewQuotaGate returns an open gate.
func NewQuotaGate() *QuotaGate { return &QuotaGate{closed: map[plan.OpKind]string{}} }

// close records that a create of kind k was refused for quota, with why.
func (g *QuotaGate) close(k plan.OpKind, why string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.closed[k]; !ok {
		g.closed[k] = why
	}
}

// refused returns why creates of kind k are not sent, or "".
func (g *QuotaGate) refused(k plan.OpKind) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed[k]
}

// quotaReason is the reason a create not sent is skipped with.
func quotaReason(k plan.OpKind, why string) string {
	return fmt.Sprintf("not sent: the API refused an earlier %s for quota (%s)", k.API(), why)
}
