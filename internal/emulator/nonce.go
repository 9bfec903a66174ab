package emulator

import (
	"container/heap"
	"sync"
	"time"
)

// maxNonceLen bounds a signature nonce. The SDK sends 32 hex characters,
// the aliyun CLI and Terraform a 36-character UUID; a longer one is refused
// before it is remembered, so no client can grow the server's memory with
// its nonces.
const maxNonceLen = 64

// checkNonce refuses an over-long nonce as the gateway refuses a value of
// the wrong form.
func checkNonce(nonce string) *apiError {
	if len(nonce) > maxNonceLen {
		return newErr(400, "InvalidSignatureNonce", "Specified parameter SignatureNonce is not valid: it is longer than %d characters.", maxNonceLen)
	}
	return nil
}

// A nonceSet remembers the signature nonces seen, each until it expires.
// The map answers "seen?" and the heap, ordered by expiry, finds the ones to
// forget, so a request never scans them all. It has its own lock: nonce
// checks do not wait on, or hold, the server's.
type nonceSet struct {
	mu       sync.Mutex
	seen     map[string]time.Time // key → expiry; one heap entry per key
	byExpiry nonceHeap
}

func newNonceSet() *nonceSet {
	return &nonceSet{seen: map[string]time.Time{}}
}

// use records key until exp and reports whether it was new at now.
func (n *nonceSet) use(key string, now, exp time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for len(n.byExpiry) > 0 && now.After(n.byExpiry[0].exp) {
		e := heap.Pop(&n.byExpiry).(nonceEntry)
		delete(n.seen, e.key)
	}
	if _, ok := n.seen[key]; ok {
		return false
	}
	n.seen[key] = exp
	heap.Push(&n.byExpiry, nonceEntry{key: key, exp: exp})
	return true
}

func (n *nonceSet) len() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.seen)
}

type nonceEntry struct {
	key string
	exp time.Time
}

// nonceHeap is a min-heap by expiry. A heap, not a FIFO queue: the clock
// may step back (an injected clock fault), so insertion order is not
// expiry order.
type nonceHeap []nonceEntry

func (h nonceHeap) Len() int           { return len(h) }
func (h nonceHeap) Less(i, j int) bool { return h[i].exp.Before(h[j].exp) }
func (h nonceHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nonceHeap) Push(x any)        { *h = append(*h, x.(nonceEntry)) }
func (h *nonceHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
